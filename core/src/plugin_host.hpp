// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "resync/collector.hpp"
#include "resync/error.hpp"
#include "resync/plugin_abi.h"
#include "resync/plugins.hpp"

namespace resync {

// Private to core: only the loader and the plugins see the C ABI; the rest of resync-mon sees
// PluginInfo and Collector.

/// A loaded, validated plugin. Keeps the shared library open for as long as it, or any
/// collector created from it, lives. Immutable after load, so any thread may read it.
class Plugin {
 public:
  ~Plugin();
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  const std::string& name() const { return info_.name; }
  const std::string& description() const { return info_.description; }
  const std::string& path() const { return info_.path; }
  uint32_t abi_version() const { return info_.abi_version; }
  /// The series it may emit, described by the plugin (generically for a plugin built before
  /// series descriptions were appended to the ABI).
  const std::vector<SeriesDescription>& series() const { return info_.series; }
  const PluginInfo& info() const { return info_; }
  const resync_plugin_v1& table() const { return *table_; }

  /// dlopens `path` and checks the descriptor: entry symbol, ABI version, struct size, name,
  /// callbacks, series names and descriptions. Throws PluginLoadError naming `path`.
  static std::shared_ptr<const Plugin> load(const std::string& path);

 private:
  Plugin() = default;

  void* handle_ = nullptr;
  const resync_plugin_v1* table_ = nullptr;
  PluginInfo info_;
};

/// Finds plugins by name in an ordered list of directories (SPEC section 5).
/// Thread-safe: immutable after construction.
class PluginHost {
 public:
  explicit PluginHost(std::vector<std::string> search_dirs);

  /// plugin_search_dirs().
  static std::vector<std::string> default_search_dirs(const std::string& plugin_dir) {
    return plugin_search_dirs(plugin_dir);
  }

  /// Loads `<dir>/<name>.so` from the first directory that has it. Throws PluginLoadError
  /// listing the directories searched when none has it, or naming the file when it is invalid.
  std::shared_ptr<const Plugin> load(std::string_view name) const;

  /// Result of trying one file found by discover().
  struct Found {
    std::string path;
    std::shared_ptr<const Plugin> plugin;  ///< null when loading failed
    std::string error;
  };
  /// Every `*.so` in the search directories, in search order then by name; a name found in an
  /// earlier directory hides later ones.
  std::vector<Found> discover() const;

  const std::vector<std::string>& search_dirs() const { return dirs_; }

 private:
  std::vector<std::string> dirs_;
};

/// The default alert rules a plugin's table declares (appended in ABI 0.3), checked against its
/// series; none for an older plugin. Throws what `fail` makes of a message.
std::vector<AlertRule> read_default_rules(
    const resync_plugin_v1& table, const std::function<PluginLoadError(const std::string&)>& fail);

/// Adapts one instance of a C plugin to the Collector interface.
class PluginCollector final : public Collector {
 public:
  /// Calls the plugin's create() with `config_json`. Throws PluginLoadError with the plugin's
  /// message (which starts with "<key>: " when it is about one key).
  PluginCollector(std::shared_ptr<const Plugin> plugin, const std::string& config_json);
  ~PluginCollector() override;
  PluginCollector(const PluginCollector&) = delete;
  PluginCollector& operator=(const PluginCollector&) = delete;

  void collect(SampleSink& sink) override;
  std::string status() const override;

 private:
  std::shared_ptr<const Plugin> plugin_;
  void* instance_ = nullptr;
};

}  // namespace resync

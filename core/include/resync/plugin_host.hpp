// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "resync/collector.hpp"
#include "resync/plugin_abi.h"

namespace resync {

/// A loaded, validated plugin. Keeps the shared library open for as long as it, or any
/// collector created from it, lives. Immutable after load, so any thread may read it.
class Plugin {
 public:
  ~Plugin();
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  const std::string& path() const { return path_; }
  uint32_t abi_version() const { return table_->abi_version; }
  const std::vector<std::string>& series() const { return series_; }
  const resync_plugin_v1& table() const { return *table_; }

  /// dlopens `path` and checks the descriptor: entry symbol, ABI version, struct size, name,
  /// callbacks and series names. Throws PluginLoadError naming `path`.
  static std::shared_ptr<const Plugin> load(const std::string& path);

 private:
  Plugin() = default;

  void* handle_ = nullptr;
  const resync_plugin_v1* table_ = nullptr;
  std::string path_, name_, description_;
  std::vector<std::string> series_;
};

/// Finds plugins by name in an ordered list of directories (SPEC section 5).
/// Thread-safe: immutable after construction.
class PluginHost {
 public:
  explicit PluginHost(std::vector<std::string> search_dirs);

  /// The search order: `plugin_dir` alone when configured; otherwise the `plugins` folder next
  /// to the running binary, the `lib/resync-mon/plugins` folder beside its `bin`, then the
  /// install prefix's plugin folder.
  static std::vector<std::string> default_search_dirs(const std::string& plugin_dir);

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

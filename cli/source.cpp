// SPDX-License-Identifier: MIT
// Reads a state file into a snapshot: the samples the file holds, described by the plugins that
// emit them. --url is not read here.
#include "source.hpp"

#include <chrono>

#include "resync/catalog.hpp"
#include "resync/error.hpp"
#include "resync/plugins.hpp"
#include "resync/state_file.hpp"

namespace resync::cli {
namespace {

// A state file keeps (metric, instance) only. The plugin of an instance is the configured one,
// else a plugin named like the instance (the default instance name), else the first plugin
// that declares the metric.
void describe(std::vector<SeriesKey>& keys, const Config& config, MonitorSnapshot& snap) {
  const std::vector<PluginInfo> plugins = discover_plugins(plugin_search_dirs(config.plugin_dir));
  const auto plugin_named = [&](const std::string& name) -> const PluginInfo* {
    for (const PluginInfo& p : plugins) {
      if (p.name == name && p.error.empty()) return &p;
    }
    return nullptr;
  };
  for (SeriesKey& key : keys) {
    const PluginInfo* plugin = nullptr;
    for (const CollectorConfig& c : config.collectors) {
      if ((c.name.empty() ? c.plugin : c.name) == key.instance) plugin = plugin_named(c.plugin);
    }
    if (!plugin) plugin = plugin_named(key.instance);
    for (const PluginInfo& p : plugins) {
      if (plugin) break;
      for (const SeriesDescription& d : p.series) plugin = d.name == key.metric && p.error.empty() ? &p : plugin;
    }
    if (plugin) {
      key.plugin = plugin->name;
      if (!plugin->status_field.empty()) snap.status_fields.emplace(plugin->name, plugin->status_field);
    }
    key.description = SeriesDescription(key.metric);
    const std::vector<SeriesDescription>& described =
        is_host_series(key.metric) || !plugin ? host_series() : plugin->series;
    for (const SeriesDescription& d : described) {
      if (d.name == key.metric) key.description = d;
    }
  }
}

}  // namespace

void add_source_options(CLI::App* cmd, SourceOptions& o) {
  cmd->add_option("--url", o.url, "A running `resync-mon serve`, e.g. http://127.0.0.1:8000");
  cmd->add_option("--state", o.state, "A state file written by `resync-mon serve` (state_file in its configuration)");
}

MonitorSnapshot read_source(const SourceOptions& o, const Config& config) {
  if (!o.url.empty()) {
    throw Error("--url: reading a running server is not supported in this build; use --state", kExitUsage);
  }
  const std::string path = o.state.empty() ? config.state_file : o.state;
  if (path.empty()) {
    throw Error("no source: pass --state FILE (the state_file of `resync-mon serve`) or --url URL", kExitUsage);
  }
  std::optional<SavedState> saved;
  try {
    saved = read_state_file(path);
  } catch (const StateFormatError& e) {
    throw Error(path + ": not a resync-mon state file (" + e.what() + ")", kExitFailure);
  } catch (const std::exception& e) {
    throw Error(e.what(), kExitFailure);
  }
  if (!saved) throw Error(path + ": no such state file", kExitFailure);

  MonitorSnapshot snap;
  snap.source = "state file " + path;
  using std::chrono::system_clock;
  snap.taken_at_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(system_clock::now().time_since_epoch()).count();
  snap.interval = saved->interval;
  snap.window = config.window;
  snap.capacity = static_cast<size_t>(config.window / std::max(saved->interval, std::chrono::milliseconds{1}));
  describe(saved->keys, config, snap);
  snap.series = std::make_shared<const std::vector<SeriesKey>>(std::move(saved->keys));
  snap.rows_held = saved->rows.rows;
  snap.store = std::move(saved->rows);
  return snap;
}

}  // namespace resync::cli

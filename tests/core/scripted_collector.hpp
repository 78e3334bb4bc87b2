// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugin_host.hpp"
#include "resync/collector.hpp"
#include "resync/error.hpp"
#include "resync/monitor.hpp"

namespace resync::test {

/// An in-process collector whose collect() runs a test's function with the 1-based call number:
/// for the Monitor built from ready collectors, where no plugin is involved.
class ScriptedCollector final : public Collector {
 public:
  using Script = std::function<void(SampleSink& sink, int call)>;
  explicit ScriptedCollector(Script script) : script_(std::move(script)) {}
  void collect(SampleSink& sink) override { script_(sink, ++calls_); }

 private:
  Script script_;
  int calls_ = 0;
};

/// The series the built `plugin` ("api", "cache", ...) declares, read through the real loader.
inline InstanceInfo built_plugin_instance(const std::string& plugin) {
  const auto loaded = Plugin::load(std::string(RESYNC_PLUGIN_BUILD_DIR) + "/" + plugin + ".so");
  return {plugin, plugin, loaded->series(), loaded->info().status_field,
          loaded->info().default_rules};
}

/// The descriptions of `names`, as the built `plugin` declares them, in the order given.
inline std::vector<SeriesDescription> described(const std::string& plugin,
                                                const std::vector<std::string>& names) {
  const InstanceInfo all = built_plugin_instance(plugin);
  std::vector<SeriesDescription> out;
  for (const std::string& n : names) {
    for (const SeriesDescription& d : all.series) {
      if (d.name == n) out.push_back(d);
    }
  }
  if (out.size() != names.size())
    throw std::invalid_argument("plugin " + plugin + " does not declare them all");
  return out;
}

/// One instance per built-in plugin, named after it, each emitting its catalog series with
/// values from `value(metric, call)`.
struct ScriptedInstances {
  std::vector<InstanceInfo> instances;
  std::vector<std::unique_ptr<Collector>> collectors;
};
inline ScriptedInstances all_plugins(
    std::function<double(const std::string& metric, int call)> value) {
  ScriptedInstances out;
  for (const char* plugin : {"api", "cache", "agents", "tws", "system"}) {
    out.instances.push_back(built_plugin_instance(plugin));
    std::vector<std::string> series;
    for (const SeriesDescription& d : out.instances.back().series) series.push_back(d.name);
    out.collectors.push_back(
        std::make_unique<ScriptedCollector>([series, value](SampleSink& sink, int call) {
          for (const std::string& s : series) sink.emit(s, value(s, call));
        }));
  }
  return out;
}

}  // namespace resync::test

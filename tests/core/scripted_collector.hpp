// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "resync/catalog.hpp"
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

/// Every catalog series of `plugin` ("api", "cache", ...), in catalog order.
inline std::vector<std::string> catalog_series(const std::string& plugin) {
  std::vector<std::string> out;
  for (const MetricInfo& m : catalog()) {
    if (m.collector == plugin) out.emplace_back(m.name);
  }
  return out;
}

/// One instance per built-in plugin, named after it, each emitting its catalog series with
/// values from `value(metric, call)`.
struct ScriptedInstances {
  std::vector<InstanceInfo> instances;
  std::vector<std::unique_ptr<Collector>> collectors;
};
inline ScriptedInstances all_plugins(std::function<double(const std::string& metric, int call)> value) {
  ScriptedInstances out;
  for (const char* plugin : {"api", "cache", "agents", "tws", "system"}) {
    const std::vector<std::string> series = catalog_series(plugin);
    out.instances.push_back({plugin, plugin, series});
    out.collectors.push_back(std::make_unique<ScriptedCollector>([series, value](SampleSink& sink, int call) {
      for (const std::string& s : series) sink.emit(s, value(s, call));
    }));
  }
  return out;
}

}  // namespace resync::test

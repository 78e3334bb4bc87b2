// SPDX-License-Identifier: MIT
#include "plan_estimate.hpp"

#include <map>

#include "resync/catalog.hpp"
#include "resync/error.hpp"
#include "resync/plugins.hpp"

namespace resync::cli {

Plan make_plan(const Config& config) {
  const std::vector<std::string> dirs = plugin_search_dirs(config.plugin_dir);
  std::map<std::string, PluginInfo> plugins;
  for (PluginInfo& p : discover_plugins(dirs)) {
    if (p.error.empty()) plugins.emplace(p.name, std::move(p));
  }
  Plan plan;
  plan.capacity = config.capacity();
  for (const CollectorConfig& cc : config.collectors) {
    auto it = plugins.find(cc.plugin);
    if (it == plugins.end()) {
      std::string searched;
      for (const std::string& d : dirs) searched += (searched.empty() ? "" : ", ") + d;
      throw PluginLoadError(
          config_message(config.source, cc.line, cc.key_path + ".plugin",
                         "no plugin '" + cc.plugin + "' (looked in " + searched + ")"));
    }
    plan.collectors.push_back(
        {cc.name, cc.plugin, it->second.series.size() + host_series().size()});
    plan.series += plan.collectors.back().series;
  }
  const uint64_t row = (plan.series + 1) * sizeof(double);
  plan.store_bytes = row * plan.capacity;
  plan.per_sample_bytes =
      static_cast<uint64_t>(kPlanStoreFactor * static_cast<double>(row)) + kPlanServerBytesPerRow;
  plan.window_bytes = plan.per_sample_bytes * plan.capacity;
  // The base was measured with one collector in it.
  plan.fixed_bytes =
      kPlanBaseBytes +
      kPlanPerCollectorBytes * (plan.collectors.size() > 0 ? plan.collectors.size() - 1 : 0);
  plan.total_bytes = plan.fixed_bytes + plan.window_bytes;
  return plan;
}

}  // namespace resync::cli

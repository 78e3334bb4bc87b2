// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "resync/config.hpp"
#include "resync/monitor.hpp"

namespace resync::detail {

/// The collectors of a configuration, built before anything running is touched (Monitor's
/// constructor and reload()).
struct BuiltCollectors {
  std::vector<InstanceInfo> instances;    ///< in configuration order
  std::vector<CollectorEntry> entries;    ///< one per instance; a null collector is reused
  std::vector<std::string> unconfigured;  ///< plugins found but not configured
};

/// Loads the plugins and creates the collectors of `config.collectors`, except those for which
/// `reuse` returns the running instance (its entry then has a null collector). Throws
/// PluginLoadError and ConfigError naming the file and key.
BuiltCollectors build_collectors(
    const Config& config, const std::function<const InstanceInfo*(const CollectorConfig&)>& reuse);

/// Appends an instance's series and the host's per-collector series to `layout`.
void add_instance_series(SeriesLayout& layout, const InstanceInfo& info);

/// Throws ConfigError when a configured rule names a series, instance or guard metric that no
/// configured collector provides.
void check_rules(const Config& config, const std::vector<InstanceInfo>& instances,
                 const SeriesLayout& layout);

/// effective_alert_rules() of `config` with the default rules of the instances' plugins.
std::vector<AlertRule> rules_in_effect(const Config& config,
                                       const std::vector<InstanceInfo>& instances);

}  // namespace resync::detail

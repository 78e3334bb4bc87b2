// SPDX-License-Identifier: MIT
#pragma once

#include <vector>

#include "config_tree.hpp"
#include "resync/alert_engine.hpp"

namespace resync::detail {

/// The `alerts:` list: one AlertRule per entry, in order. Throws ConfigError naming the entry
/// ("alerts[2].above.warning") for an unknown key or metric, a missing threshold or a bad value.
std::vector<AlertRule> parse_alert_rules(const ConfigReader& reader, const ConfigNode& alerts);

}  // namespace resync::detail

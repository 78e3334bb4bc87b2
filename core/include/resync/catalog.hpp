// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>
#include <vector>

#include "resync/series.hpp"

namespace resync {

/// Series the host yields for every collector instance (SPEC section 3). Every other series is
/// described by the plugin that emits it.
inline constexpr std::string_view kCollectorUp = "collector_up";
inline constexpr std::string_view kCollectorDuration = "collector_duration_ms";

/// Descriptions of the host's own per-collector series, in the order a layout holds them.
const std::vector<SeriesDescription>& host_series();

/// Whether `metric` is one of host_series().
bool is_host_series(std::string_view metric);

}  // namespace resync

// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

namespace resync {

/// How a series behaves over time, which decides its Prometheus TYPE.
enum class MetricType { kGauge, kCounter };

/// One entry of the metric catalog: the single table of every built-in series (SPEC section 3).
struct MetricInfo {
  std::string_view name;       ///< series name, e.g. "cache_hit_ratio"
  std::string_view collector;  ///< plugin that emits it, e.g. "cache"; "" for per-collector series
  std::string_view unit;       ///< "%", "ms", "s", "bytes", "1/s" or "" for plain counts
  MetricType type;
  std::string_view help;  ///< one sentence, used for Prometheus HELP lines
};

/// Series every collector instance yields for itself.
inline constexpr std::string_view kCollectorUp = "collector_up";
inline constexpr std::string_view kCollectorDuration = "collector_duration_ms";

/// Returns the catalog entry for `name`, or nullptr for a series the catalog does not know
/// (a third-party plugin's own series).
const MetricInfo* find_metric(std::string_view name);

/// The whole catalog, in SPEC order.
struct Catalog {
  const MetricInfo* begin() const;
  const MetricInfo* end() const;
};
inline Catalog catalog() { return {}; }

}  // namespace resync

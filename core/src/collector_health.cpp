// SPDX-License-Identifier: MIT
#include "collector_health.hpp"

#include <algorithm>
#include <chrono>

#include "resync/util/duration.hpp"

namespace resync::detail {
namespace {

int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_power_of_two(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

int64_t record_success(CollectorHealth& h, const std::string& name, const SamplerOptions& o,
                       int64_t grid_ms, Logs& logs) {
  if (h.consecutive_failures > 0) {
    logs.emplace_back(LogLevel::kInfo, "collector " + name + " recovered after " +
                                           std::to_string(h.consecutive_failures) + " failed runs");
  }
  h.consecutive_failures = 0;
  h.effective_interval = o.interval;
  h.last_success_ms = grid_ms;
  return 0;
}

int64_t record_failure(CollectorHealth& h, const std::string& name, const std::string& error,
                       const SamplerOptions& o, int64_t grid_ms, Logs& logs) {
  ++h.failures;
  ++h.consecutive_failures;
  h.last_error = error;
  h.last_error_at_ms = wall_now_ms();
  // Computed in steps to avoid overflow.
  auto backoff = o.interval;
  for (uint32_t k = 0; k < h.consecutive_failures && backoff < o.max_backoff; ++k) backoff *= 2;
  h.effective_interval = std::min(backoff, o.max_backoff);
  // Log the 1st, 2nd, 4th, 8th... failure of a streak: the log stays readable during an outage.
  if (is_power_of_two(h.consecutive_failures)) {
    logs.emplace_back(LogLevel::kWarning,
                      "collector " + name + " failed (" + std::to_string(h.consecutive_failures) +
                          " in a row, next try in " + format_duration(h.effective_interval) +
                          "): " + error);
  }
  return grid_ms + h.effective_interval.count();
}

}  // namespace resync::detail

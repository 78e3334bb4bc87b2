// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "resync/series.hpp"

namespace resync {

/// Series a plugin declares but the host computes, found by their flags, never by plugin name:
/// series_flags::kHostAvailability (share of successful collector runs over the window, when the
/// plugin left it empty) and series_flags::kHostInFlight (collector runs in flight).
///
/// Not thread-safe: used from the sampler's thread only.
class DerivedSeries {
 public:
  /// `window_rows` is the number of ticks the availability share covers.
  DerivedSeries(const SeriesLayout& layout, size_t window_rows);

  /// Records one tick (`ok_runs` of `scheduled` runs succeeded, `in_flight` still running) and
  /// fills the derived columns of `row`.
  void apply(std::vector<double>& row, uint32_t ok_runs, uint32_t scheduled, size_t in_flight);

 private:
  std::vector<size_t> availability_columns_, in_flight_columns_;
  std::vector<std::pair<uint32_t, uint32_t>> runs_;  // (ok, scheduled) per tick, a ring
  size_t head_ = 0;
  uint64_t window_ok_ = 0, window_total_ = 0;
};

}  // namespace resync

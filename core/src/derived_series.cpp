// SPDX-License-Identifier: MIT
#include "derived_series.hpp"

#include <cmath>

namespace resync {

DerivedSeries::DerivedSeries(const SeriesLayout& layout, size_t window_rows)
    : runs_(window_rows, {0, 0}) {
  for (size_t c = 0; c < layout.size(); ++c) {
    const uint32_t flags = layout.key(c).description.flags;
    if (flags & series_flags::kHostAvailability) availability_columns_.push_back(c);
    if (flags & series_flags::kHostInFlight) in_flight_columns_.push_back(c);
  }
}

void DerivedSeries::apply(std::vector<double>& row, uint32_t ok_runs, uint32_t scheduled,
                          size_t in_flight) {
  if (!runs_.empty()) {
    auto& slot = runs_[head_];
    window_ok_ -= slot.first;
    window_total_ -= slot.second;
    slot = {ok_runs, scheduled};
    window_ok_ += ok_runs;
    window_total_ += scheduled;
    head_ = (head_ + 1) % runs_.size();
  }
  // A plugin that measured availability itself (a health probe) keeps its own figure.
  for (size_t c : availability_columns_) {
    if (std::isnan(row[c]) && window_total_ > 0)
      row[c] = 100.0 * double(window_ok_) / double(window_total_);
  }
  for (size_t c : in_flight_columns_) row[c] = double(in_flight);
}

}  // namespace resync

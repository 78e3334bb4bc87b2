// SPDX-License-Identifier: MIT
#include "resync/catalog.hpp"

namespace resync {

const std::vector<SeriesDescription>& host_series() {
  static const std::vector<SeriesDescription> kHostSeries = {
      {std::string(kCollectorUp), Unit::kBoolean, Kind::kGauge,
       "1 when the collector's last run succeeded within its deadline, else 0."},
      {std::string(kCollectorDuration), Unit::kMilliseconds, Kind::kGauge,
       "Duration of the collector's last run."},
  };
  return kHostSeries;
}

bool is_host_series(std::string_view metric) {
  return metric == kCollectorUp || metric == kCollectorDuration;
}

}  // namespace resync

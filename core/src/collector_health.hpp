// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "resync/log.hpp"
#include "resync/sampler.hpp"

namespace resync::detail {

/// Log lines gathered under the sampler's lock and written after it is released.
using Logs = std::vector<std::pair<LogLevel, std::string>>;

/// A successful run of collector `name` at `grid_ms`: resets the backoff, and logs the first
/// success after a streak of failures. Returns the grid time from which the collector runs
/// again (0: the next tick).
int64_t record_success(CollectorHealth& h, const std::string& name, const SamplerOptions& o,
                       int64_t grid_ms, Logs& logs);

/// A failed (or overrun) run: doubles the interval per consecutive failure up to
/// o.max_backoff, and logs the 1st, 2nd, 4th, 8th... failure of a streak. Returns the grid time
/// from which the collector runs again.
int64_t record_failure(CollectorHealth& h, const std::string& name, const std::string& error,
                       const SamplerOptions& o, int64_t grid_ms, Logs& logs);

}  // namespace resync::detail

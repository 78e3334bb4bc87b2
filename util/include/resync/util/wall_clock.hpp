// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>

namespace resync {

/// Milliseconds since the Unix epoch by the system clock: for timestamps people read and the
/// sample grid. It jumps when the clock is set, so measure elapsed time with steady_clock.
int64_t wall_clock_ms();

/// "2026-11-25T03:24:25Z": UTC, whole seconds (milliseconds are dropped, never rounded up).
std::string format_iso8601_utc(int64_t epoch_ms);

/// "03:24:25" in the local time zone, as the dashboard shows the time of a sample.
std::string format_local_hms(int64_t epoch_ms);

}  // namespace resync

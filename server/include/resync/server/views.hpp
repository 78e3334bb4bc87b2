// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>

#include "resync/monitor.hpp"

/// The documents of SPEC section 7, rendered from a Monitor. Each takes what it needs from the
/// monitor under its locks (a snapshot), then formats outside them, so any thread may render
/// while the sampler writes. Every field is always present: zeros before the first sample and
/// for series no collector provides, null for a value missing from a sample.
namespace resync::server {

/// The version string served in /current and printed by --version.
const char* version();

/// GET /api/monitoring/current. `now_ms` is the wall clock (for uptime).
std::string render_current(const Monitor& monitor, int64_t now_ms);
/// GET /api/monitoring/history: the newest `max_rows` samples (all by default).
std::string render_history(const Monitor& monitor, size_t max_rows = SIZE_MAX);
/// GET /api/monitoring/alerts.
std::string render_alerts(const Monitor& monitor);
/// GET /api/monitoring/health.
std::string render_health(const Monitor& monitor);

/// "1h 5m" style uptime.
std::string format_uptime(int64_t seconds);
/// "HH:MM:SS" in the host's local time zone.
std::string format_clock(int64_t epoch_ms);

}  // namespace resync::server

// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "resync/snapshot.hpp"

/// The JSON documents of SPEC section 7, rendered from a MonitorSnapshot: plain data taken under
/// the monitor's locks (or read from a state file), formatted here outside any lock. Every field
/// is always present: zeros before the first sample and for fields no collector provides, null
/// for a value missing from a sample. The sections and fields come from the series descriptions
/// of the plugins, laid over the shape of the original Resync dashboard.
namespace resync::views {

/// The version string served in /current and printed by --version.
const char* version();

/// Rows of history /current needs (for its 5-minute trend) at `interval`.
size_t current_rows(std::chrono::milliseconds interval);

// Strings, not streams: the server renders each document once per sample and serves (and
// compresses) the cached bytes, and JsonWriter writes into a string at a few microseconds each.

/// GET /api/monitoring/current, as of the snapshot's newest row; uptime against taken_at_ms.
std::string render_current(const MonitorSnapshot& snap);
/// GET /api/monitoring/history: every row of the snapshot.
std::string render_history(const MonitorSnapshot& snap);
/// GET /api/monitoring/alerts.
std::string render_alerts(const MonitorSnapshot& snap);
/// GET /api/monitoring/health.
std::string render_health(const MonitorSnapshot& snap);

/// "1h 5m" style uptime.
std::string format_uptime(int64_t seconds);
/// "HH:MM:SS" in the host's local time zone.
std::string format_clock(int64_t epoch_ms);
/// "2026-12-02T01:45:39Z".
std::string format_iso8601(int64_t epoch_ms);

}  // namespace resync::views

// SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "resync/snapshot.hpp"

namespace resync::views {

/// Content type of render_prometheus()'s output.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Prometheus exposition name of a described series, following Prometheus naming rules so
/// promtool's linter accepts it: "resync_mon_" prefix, base units (a milliseconds series is
/// exposed in seconds), "_per_second" for rates and "_total" for counters.
/// `scale` receives the factor to apply to stored values.
std::string exposition_name(const SeriesDescription& series, double* scale = nullptr);

/// Every series' newest value in the Prometheus text format 0.0.4 with HELP and TYPE lines
/// from the series descriptions; series carry instance="<collector instance>", the host's
/// per-collector series carry collector="<instance>". NaN is written as NaN, and so is a
/// counter's negative or infinite value (a gauge keeps +Inf/-Inf); a counter lower than before is
/// written as it is (a reset to Prometheus). Leaves the stream's locale and flags alone.
std::string render_prometheus(const MonitorSnapshot& snap);

}  // namespace resync::views

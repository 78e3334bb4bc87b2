// SPDX-License-Identifier: MIT
#pragma once

#include <ostream>
#include <string>

#include "resync/monitor.hpp"

namespace resync::server {

/// Content type of render_prometheus()'s output.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Prometheus exposition name of a catalog series, following Prometheus naming rules so
/// promtool's linter accepts it: "resync_mon_" prefix, base units (a "ms" series is exposed in
/// seconds), "_per_second" for rates and "_total" for counters.
/// `scale` receives the factor to apply to stored values.
std::string exposition_name(const std::string& metric, double* scale = nullptr);

/// Every series' latest value in the Prometheus text format 0.0.4 with HELP and TYPE lines;
/// series carry instance="<collector instance>", collector_up and collector_duration_seconds
/// carry collector="<instance>". NaN is written as NaN.
void render_prometheus(std::ostream& out, const Monitor& monitor);
std::string render_prometheus(const Monitor& monitor);

}  // namespace resync::server

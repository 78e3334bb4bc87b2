// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

/// The paths of SPEC section 7, shared by the policy chain and the router.
namespace resync::server::detail {

inline constexpr std::string_view kCurrentPath = "/api/monitoring/current";
inline constexpr std::string_view kHistoryPath = "/api/monitoring/history";
inline constexpr std::string_view kAlertsPath = "/api/monitoring/alerts";
inline constexpr std::string_view kHealthPath = "/api/monitoring/health";
inline constexpr std::string_view kReportPath = "/api/monitoring/report";
inline constexpr std::string_view kLayoutPath = "/api/monitoring/layout";
inline constexpr std::string_view kWindowPath = "/api/monitoring/window";
inline constexpr std::string_view kWsPath = "/api/monitoring/ws";
inline constexpr std::string_view kMetricsPath = "/metrics";
inline constexpr std::string_view kLivenessPath = "/health";
inline constexpr std::string_view kDashboardPath = "/monitoring";
inline constexpr std::string_view kAssetsPrefix = "/monitoring/assets/";

}  // namespace resync::server::detail

// SPDX-License-Identifier: MIT
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace resync::cli {

/// A threshold range of the Monitoring Plugins development guidelines, `[@]start:end`:
///   "10"     alert when v < 0 or v > 10      "10:"    alert when v < 10
///   "~:10"   alert when v > 10               "10:20"  alert when v < 10 or v > 20
///   "@10:20" alert when 10 <= v <= 20
/// start defaults to 0, "~" is minus infinity, an empty end is infinity; start <= end.
struct NagiosRange {
  double start = 0;
  double end = std::numeric_limits<double>::infinity();
  bool inside = false;  ///< '@': alert inside the range instead of outside
  std::string text;     ///< as written, for perfdata and messages

  /// Whether `v` is an alert against this range. NaN never is (a missing value is UNKNOWN).
  bool alerts(double v) const;
};

/// Parses `text`; nullopt with `*error` set ("expected [@]start:end, got \"x\"") otherwise.
std::optional<NagiosRange> parse_nagios_range(std::string_view text, std::string* error);

}  // namespace resync::cli

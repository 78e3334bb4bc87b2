// SPDX-License-Identifier: MIT
#include "nagios_range.hpp"

#include <charconv>
#include <cmath>

namespace resync::cli {
namespace {

// The whole of `s` as a finite decimal number ("10", "-1.5", "2e3"); from_chars, so the locale
// cannot change what a threshold means.
std::optional<double> parse_number(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  double v = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || res.ec != std::errc() || res.ptr != s.data() + s.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

}  // namespace

bool NagiosRange::alerts(double v) const {
  if (std::isnan(v)) return false;
  const bool within = v >= start && v <= end;
  return inside ? within : !within;
}

std::optional<NagiosRange> parse_nagios_range(std::string_view text, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<NagiosRange> {
    if (error)
      *error = "expected a range like 10, 10:, ~:10, 10:20 or @10:20, got \"" + std::string(text) +
               "\"" + why;
    return std::nullopt;
  };
  NagiosRange range;
  range.text = std::string(text);
  std::string_view s = text;
  if (!s.empty() && s[0] == '@') {
    range.inside = true;
    s.remove_prefix(1);
  }
  if (s.empty()) return fail("");
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos) {
    const auto end = parse_number(s);
    if (!end) return fail("");
    range.end = *end;
  } else {
    const std::string_view start = s.substr(0, colon), end = s.substr(colon + 1);
    if (start == "~") {
      range.start = -std::numeric_limits<double>::infinity();
    } else if (!start.empty()) {
      const auto v = parse_number(start);
      if (!v) return fail("");
      range.start = *v;
    }
    if (!end.empty()) {
      const auto v = parse_number(end);
      if (!v) return fail("");
      range.end = *v;
    }
  }
  if (range.start > range.end) return fail(" (start is above end)");
  return range;
}

}  // namespace resync::cli

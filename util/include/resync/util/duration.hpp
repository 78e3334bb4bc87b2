// SPDX-License-Identifier: MIT
#pragma once

#include <charconv>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

namespace resync {

/// Parses a duration written like "500ms", "5s", "2m", "2h", "1d" or "1h30m" (decimals allowed:
/// "1.5s"). Returns nullopt for anything else, including an empty or negative duration.
/// Header-only and dependency-free so that plugins can share it with the host.
inline std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    bool dot = false;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || (text[i] == '.' && !dot))) {
      dot = dot || text[i] == '.';
      ++i;
    }
    if (i == start || (i == start + 1 && dot)) return std::nullopt;  // a lone "." is no number
    // from_chars, not std::stod, which throws out_of_range for 400 digits; overflow is "no".
    double number = 0;
    const auto [end, ec] = std::from_chars(text.data() + start, text.data() + i, number);
    if (ec != std::errc() || end != text.data() + i) return std::nullopt;
    size_t unit_start = i;
    while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "ms")
      scale = 1;
    else if (unit == "s")
      scale = 1e3;
    else if (unit == "m")
      scale = 60e3;
    else if (unit == "h")
      scale = 3600e3;
    else if (unit == "d")
      scale = 86400e3;
    else
      return std::nullopt;
    total_ms += number * scale;
  }
  // Past 2^63 ms the conversion below would overflow.
  if (!(total_ms >= 1) || !(total_ms < 9223372036854775808.0)) return std::nullopt;
  return std::chrono::milliseconds{static_cast<long long>(std::llround(total_ms))};
}

/// Formats a duration in the largest unit that divides it exactly: "2h", "5s", "1500ms".
inline std::string format_duration(std::chrono::milliseconds d) {
  const long long ms = d.count();
  struct Unit {
    long long scale;
    const char* suffix;
  };
  for (const Unit u :
       {Unit{86400000, "d"}, Unit{3600000, "h"}, Unit{60000, "m"}, Unit{1000, "s"}}) {
    if (ms != 0 && ms % u.scale == 0) return std::to_string(ms / u.scale) + u.suffix;
  }
  return std::to_string(ms) + "ms";
}

}  // namespace resync

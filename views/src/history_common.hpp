// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace resync::views::detail {

/// Appends the shortest text that reads back as `v` (classic "C" form, no locale); "NaN",
/// "+Inf" and "-Inf" for the rest.
void append_number(std::string& out, double v);
/// Appends `s` with backslash, double quote and newline escaped, as the Prometheus text format
/// and OpenMetrics want in label values and HELP text.
void append_label_escaped(std::string& out, std::string_view s);
/// True when `s` ends with `suffix` (std::string::ends_with is C++20).
inline bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
/// Appends epoch seconds: "1764640000", or "1764640000.25" when the milliseconds are not zero.
void append_epoch_seconds(std::string& out, int64_t epoch_ms);
/// Appends "2025-12-02T01:46:40Z", or "...40.250Z" when the milliseconds are not zero.
void append_iso8601(std::string& out, int64_t epoch_ms);

/// Writers build text in a string and hand it to the stream in large pieces: one ostream call
/// per value would dominate the cost of an export.
inline void flush_if_full(std::ostream& out, std::string& buffer) {
  if (buffer.size() < (1u << 16)) return;
  out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  buffer.clear();
}
inline void flush(std::ostream& out, std::string& buffer) {
  out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  buffer.clear();
}

}  // namespace resync::views::detail

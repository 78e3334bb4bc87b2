// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace resync::server::detail {

/// Appends the shortest text that reads back as `v` (classic "C" form, no locale); "NaN",
/// "+Inf" and "-Inf" for the rest.
void append_number(std::string& out, double v);
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

}  // namespace resync::server::detail

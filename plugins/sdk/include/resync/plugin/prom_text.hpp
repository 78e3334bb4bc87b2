// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace resync::plugin {

/// One sample line of the Prometheus text exposition format.
struct PromSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  ///< unescaped values, in line order
  double value = 0;                                          ///< NaN, +Inf and -Inf allowed
  std::optional<int64_t> timestamp_ms;

  /// Value of label `key`, or nullptr when absent.
  const std::string* label(std::string_view key) const;
};

struct PromParseResult {
  std::vector<PromSample> samples;
  size_t skipped_lines = 0;  ///< malformed lines that were skipped
  std::string first_error;   ///< "line N: why" for the first skipped line, "" if none
};

/// Parses text exposition as real exporters print it (SPEC section 4): comments and HELP/TYPE
/// lines, counters without "_total", "le" values like "1.0" or "+Inf", a missing final
/// newline, optional timestamps, escaped label values (\\, \", \n), CRLF line ends. A malformed
/// line is skipped and counted, never fatal.
PromParseResult parse_prometheus_text(std::string_view text);

}  // namespace resync::plugin

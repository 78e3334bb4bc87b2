// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace resync::util {

/// One sample line of the Prometheus text exposition format.
struct PromSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  ///< unescaped values, in line order
  double value = 0;                                         ///< NaN, +Inf and -Inf allowed
  std::optional<int64_t> timestamp_ms;

  /// Value of label `key`, or nullptr when absent.
  const std::string* label(std::string_view key) const;
};

struct PromParseResult {
  std::vector<PromSample> samples;
  size_t skipped_lines = 0;  ///< malformed lines that were skipped
  std::string first_error;   ///< "line N: why" for the first skipped line, "" if none
  /// Family name -> type ("counter", "gauge", "histogram", ...) from "# TYPE" lines, so a
  /// collector can tell a declared family with no samples yet from a misspelt name.
  std::map<std::string, std::string, std::less<>> types;
};

/// Parses text exposition as real exporters print it (SPEC section 4): comments and HELP/TYPE
/// lines, counters without "_total", "le" values like "1.0" or "+Inf", a missing final
/// newline, optional timestamps, escaped label values (\\, \", \n), CRLF line ends. A malformed
/// line is skipped and counted, never fatal.
PromParseResult parse_prometheus_text(std::string_view text);

/// Parses a sample value or an "le"/"quantile" label as Prometheus does (Go's ParseFloat):
/// "1", "1.0", "1e3", "NaN", "+Inf", "-Inf"; nullopt unless the whole text is a number.
std::optional<double> parse_prometheus_float(std::string_view text);

/// The name under which metric `wanted` appears in `result`: `wanted` itself when a sample or a
/// TYPE line has it, else the same name with "_total" added or removed, because exporters
/// disagree about that suffix on counters; nullopt when neither appears.
std::optional<std::string> resolve_metric_name(const PromParseResult& result,
                                               std::string_view wanted);

/// Sum of the values of every sample of metric `wanted` (resolved as above) across all its
/// label sets, NaN samples ignored; nullopt when no sample has the name.
std::optional<double> sum_samples(const PromParseResult& result, std::string_view wanted);

}  // namespace resync::util

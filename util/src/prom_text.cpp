// SPDX-License-Identifier: MIT
#include "resync/util/prom_text.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace resync::util {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_label_start(char c) { return is_name_start(c) && c != ':'; }
bool is_label_char(char c) { return is_name_char(c) && c != ':'; }

// One sample line. A rejection says what was expected, so "line N: why" points at the fault.
class LineParser {
 public:
  explicit LineParser(std::string_view line) : line_(line) {}

  bool parse(PromSample& out, std::string& why) {
    out.name = read_name(is_name_start, is_name_char);
    if (out.name.empty()) return fail(why, "expected a metric name");
    skip_space();
    if (peek() == '{' && !read_labels(out, why)) return false;
    skip_space();
    const std::string_view value = read_token();
    if (value.empty()) return fail(why, "expected a value after " + out.name);
    const std::optional<double> v = parse_prometheus_float(value);
    if (!v) return fail(why, "\"" + std::string(value) + "\" is not a number");
    out.value = *v;
    skip_space();
    if (at_end() || peek() == '#') return true;  // '#' starts an OpenMetrics exemplar
    const std::string_view stamp = read_token();
    if (!read_timestamp(stamp, out))
      return fail(why, "\"" + std::string(stamp) + "\" is not a timestamp");
    skip_space();
    if (at_end() || peek() == '#') return true;
    return fail(why, "unexpected text after the timestamp");
  }

 private:
  bool at_end() const { return at_ >= line_.size(); }
  char peek() const { return at_end() ? '\0' : line_[at_]; }
  void skip_space() {
    while (!at_end() && is_space(line_[at_])) ++at_;
  }
  static bool fail(std::string& why, std::string text) {
    why = std::move(text);
    return false;
  }

  std::string read_name(bool (*start)(char), bool (*rest)(char)) {
    if (at_end() || !start(line_[at_])) return {};
    const size_t begin = at_++;
    while (!at_end() && rest(line_[at_])) ++at_;
    return std::string(line_.substr(begin, at_ - begin));
  }

  std::string_view read_token() {
    const size_t begin = at_;
    while (!at_end() && !is_space(line_[at_])) ++at_;
    return line_.substr(begin, at_ - begin);
  }

  bool read_labels(PromSample& out, std::string& why) {
    ++at_;  // '{'
    for (;;) {
      skip_space();
      if (peek() == '}') {
        ++at_;
        return true;
      }
      std::string key = read_name(is_label_start, is_label_char);
      if (key.empty()) return fail(why, "expected a label name or '}'");
      skip_space();
      if (peek() != '=') return fail(why, "expected '=' after label " + key);
      ++at_;
      skip_space();
      if (peek() != '"') return fail(why, "expected a quoted value for label " + key);
      ++at_;
      std::string value;
      bool closed = false;
      while (!at_end()) {
        const char c = line_[at_++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && !at_end()) {
          const char e = line_[at_++];
          if (e == 'n') {
            value += '\n';
          } else if (e == '\\' || e == '"') {
            value += e;
          } else {  // not an escape the format defines: keep it as written, not drop the line
            value += '\\';
            value += e;
          }
          continue;
        }
        value += c;
      }
      if (!closed) return fail(why, "unterminated value of label " + key);
      out.labels.emplace_back(std::move(key), std::move(value));
      skip_space();
      if (peek() == ',') {
        ++at_;
        continue;
      }
      if (peek() == '}') {
        ++at_;
        return true;
      }
      return fail(why, "expected ',' or '}' after label " + out.labels.back().first);
    }
  }

  // Prometheus text has integer milliseconds; OpenMetrics has float seconds ("1520879607.789").
  static bool read_timestamp(std::string_view text, PromSample& out) {
    int64_t ms = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, ms);
    if (ec == std::errc() && ptr == end) {
      out.timestamp_ms = ms;
      return true;
    }
    const std::optional<double> seconds = parse_prometheus_float(text);
    if (!seconds || !std::isfinite(*seconds)) return false;
    out.timestamp_ms = static_cast<int64_t>(std::llround(*seconds * 1000.0));
    return true;
  }

  std::string_view line_;
  size_t at_ = 0;
};

// "# TYPE name type": remembered so a declared family without samples is not "missing".
void read_type_comment(std::string_view line, PromParseResult& result) {
  line.remove_prefix(1);
  while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
  if (line.substr(0, 5) != "TYPE " && line.substr(0, 5) != "TYPE\t") return;
  line.remove_prefix(5);
  auto next_word = [&line]() {
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    size_t n = 0;
    while (n < line.size() && !is_space(line[n])) ++n;
    const std::string_view word = line.substr(0, n);
    line.remove_prefix(n);
    return word;
  };
  const std::string_view name = next_word();
  const std::string_view type = next_word();
  if (!name.empty() && !type.empty()) result.types[std::string(name)] = std::string(type);
}

std::string alternate_name(std::string_view wanted) {
  constexpr std::string_view kTotal = "_total";
  if (wanted.size() > kTotal.size() && wanted.substr(wanted.size() - kTotal.size()) == kTotal) {
    return std::string(wanted.substr(0, wanted.size() - kTotal.size()));
  }
  return std::string(wanted) + std::string(kTotal);
}

bool has_samples(const PromParseResult& result, std::string_view name) {
  for (const PromSample& s : result.samples) {
    if (s.name == name) return true;
  }
  return false;
}

}  // namespace

const std::string* PromSample::label(std::string_view key) const {
  for (const auto& [k, v] : labels) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::optional<double> parse_prometheus_float(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool negative = false;
  if (text.front() == '+' || text.front() == '-') {
    negative = text.front() == '-';
    text.remove_prefix(1);
    if (text.empty() || text.front() == '+' || text.front() == '-') return std::nullopt;
  }
  double value = 0;
  // from_chars ignores the locale (a "," decimal separator must never sneak in) and accepts
  // "inf", "infinity" and "nan" in any case, as Go's ParseFloat does.
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (ptr != end) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Like ParseFloat: overflow gives Inf and underflow 0 (from_chars leaves `value` alone).
    const bool tiny = text.find("e-") != std::string_view::npos ||
                      text.find("E-") != std::string_view::npos || text.front() == '0' ||
                      text.front() == '.';
    value = tiny ? 0.0 : std::numeric_limits<double>::infinity();
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

PromParseResult parse_prometheus_text(std::string_view text) {
  PromParseResult result;
  size_t line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.front() == '#') {
      read_type_comment(line, result);
      continue;
    }
    PromSample sample;
    std::string why;
    if (LineParser(line).parse(sample, why)) {
      result.samples.push_back(std::move(sample));
    } else {
      if (result.skipped_lines == 0)
        result.first_error = "line " + std::to_string(line_number) + ": " + why;
      ++result.skipped_lines;
    }
  }
  return result;
}

std::optional<std::string> resolve_metric_name(const PromParseResult& result,
                                               std::string_view wanted) {
  const std::string other = alternate_name(wanted);
  // Samples first: OpenMetrics declares "# TYPE foo counter" but prints "foo_total" samples.
  if (has_samples(result, wanted)) return std::string(wanted);
  if (has_samples(result, other)) return other;
  if (result.types.count(wanted) > 0) return std::string(wanted);
  if (result.types.count(other) > 0) return other;
  return std::nullopt;
}

std::optional<double> sum_samples(const PromParseResult& result, std::string_view wanted) {
  const std::optional<std::string> name = resolve_metric_name(result, wanted);
  if (!name) return std::nullopt;
  std::optional<double> sum;
  for (const PromSample& s : result.samples) {
    if (s.name != *name) continue;
    if (!sum) sum = 0.0;
    if (!std::isnan(s.value)) *sum += s.value;
  }
  return sum;
}

}  // namespace resync::util

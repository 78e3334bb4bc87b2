// SPDX-License-Identifier: MIT
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "html_report_parts.hpp"

namespace resync::views::detail {

ReportWindow report_window(const MonitorSnapshot& snap, int minutes) {
  ReportWindow w;
  w.asked_ms = minutes > 0 ? int64_t{minutes} * 60'000 : 0;
  const StoreSnapshot& s = snap.store;
  const int64_t interval = std::max<int64_t>(1, snap.interval.count());
  if (s.rows == 0) {
    w.end_ms = snap.taken_at_ms;
    w.start_ms = w.end_ms - (w.asked_ms ? w.asked_ms : snap.window.count());
    w.short_of_asked = true;
    return w;
  }
  w.end_ms = s.timestamps_ms.back();
  if (w.asked_ms) {
    // Rows strictly newer than end - asked: 120 minutes at 5 s are exactly 1,440 rows.
    const auto first =
        std::upper_bound(s.timestamps_ms.begin(), s.timestamps_ms.end(), w.end_ms - w.asked_ms);
    w.first_row = static_cast<size_t>(first - s.timestamps_ms.begin());
    w.short_of_asked =
        w.first_row == 0 && w.end_ms - s.timestamps_ms.front() + interval < w.asked_ms;
  }
  // The axis spans the data, not the minutes asked for: 40 s of samples asked for as 10 h would
  // otherwise be a sliver at the right edge.
  w.start_ms = std::min(s.timestamps_ms[w.first_row], w.end_ms - interval);
  w.rows = s.rows - w.first_row;
  return w;
}

const FieldNode* find_series(const FieldNode& root, std::string_view path) {
  const FieldNode* node = &root;
  while (node) {
    const size_t dot = path.find('.');
    const std::string_view head = path.substr(0, dot);
    const FieldNode* next = nullptr;
    for (const FieldNode& c : node->children) {
      if (c.name == head) next = &c;
    }
    if (dot == std::string_view::npos) {
      return next && next->kind == FieldNode::Kind::kSeries && !next->columns.empty() ? next
                                                                                      : nullptr;
    }
    node = next;
    path = path.substr(dot + 1);
  }
  return nullptr;
}

const SeriesDescription& field_description(const MonitorSnapshot& snap, const FieldNode& n) {
  return snap.keys()[n.columns.front().first].description;
}

std::string format_fixed(double v, int decimals) {
  if (std::isnan(v)) return std::string(kMissing);
  if (std::isinf(v)) return v > 0 ? "\u221e" : "\u2212\u221e";
  char buf[64];
  // snprintf keeps the "C" numeric locale: resync-mon never calls setlocale.
  if (std::fabs(v) >= 1e15) {
    // Beyond what anyone reads digit by digit (and what fits the buffer): "1.23e+18".
    std::snprintf(buf, sizeof buf, "%.3g", v);
    std::string out(buf);
    if (out[0] == '-') out.replace(0, 1, "\u2212");
    return out;
  }
  const int n = std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 20), std::fabs(v));
  std::string digits(buf, n > 0 ? static_cast<size_t>(n) : 0);
  const size_t point = std::min(digits.find('.'), digits.size());
  std::string out;
  // A value that rounds to zero shows no sign: "-0.00" would read as a measured negative.
  if (v < 0 && digits.find_first_not_of("0.") != std::string::npos) out += "\u2212";
  for (size_t i = 0; i < point; ++i) {
    if (i > 0 && (point - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  out.append(digits, point, std::string::npos);
  return out;
}

std::string format_auto(double v) {
  const double a = std::fabs(v);
  return format_fixed(v, a >= 100 || v == std::floor(v) ? 0 : a >= 10 ? 1 : 2);
}

namespace {

Formatted format_count(double v) {
  const double a = std::fabs(v);
  if (a >= 1e9) return {format_fixed(v / 1e9, 2), "G"};
  if (a >= 1e6) return {format_fixed(v / 1e6, 2), "M"};
  return {format_fixed(v, v == std::floor(v) ? 0 : 1), ""};
}

Formatted format_bytes(double v) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t i = 0;
  while (std::fabs(v) >= 1024 && i + 1 < std::size(kUnits)) {
    v /= 1024;
    ++i;
  }
  return {format_fixed(v, i == 0 ? 0 : 1), kUnits[i]};
}

// Seconds as the dashboard shows an uptime once they stop being readable as a number.
Formatted format_seconds(double v) {
  if (std::fabs(v) < 120) return {format_auto(v), "s"};
  const int64_t s = static_cast<int64_t>(v);
  const int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
  if (d > 0) return {std::to_string(d) + "d " + std::to_string(h) + "h", ""};
  return {std::to_string(h) + "h " + std::to_string(m) + "m", ""};
}

}  // namespace

Formatted format_value(double v, Unit unit) {
  if (std::isnan(v)) return {std::string(kMissing), ""};
  switch (unit) {
    case Unit::kPercent:
      return {format_auto(v), "%"};
    case Unit::kMilliseconds:
      return {format_auto(v), "ms"};
    case Unit::kPerSecond:
      return {format_auto(v), "/s"};
    case Unit::kSeconds:
      return format_seconds(v);
    case Unit::kBytes:
      return format_bytes(v);
    case Unit::kBoolean:
      return {v != 0 ? "yes" : "no", ""};
    case Unit::kRatio:
      return {format_auto(v), ""};
    case Unit::kCount:
      break;
  }
  return format_count(v);
}

std::string format_local(int64_t epoch_ms, const char* format) {
  const std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

std::string format_span(int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + " ms";
  if (ms < 60'000) return format_auto(double(ms) / 1000) + " s";
  const int64_t minutes = (ms + 30'000) / 60'000;
  if (minutes < 60) return std::to_string(minutes) + " min";
  const int64_t h = minutes / 60, m = minutes % 60;
  return std::to_string(h) + " h" + (m ? " " + std::to_string(m) + " min" : "");
}

namespace {

// Length of the valid UTF-8 sequence at the start of `s`, 0 when it is not one.
size_t utf8_length(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  size_t n = 0;
  if (c < 0x80)
    n = 1;
  else if ((c & 0xE0) == 0xC0 && c >= 0xC2)
    n = 2;
  else if ((c & 0xF0) == 0xE0)
    n = 3;
  else if ((c & 0xF8) == 0xF0 && c <= 0xF4)
    n = 4;
  if (n == 0 || n > s.size()) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

void append_escaped(std::string& out, std::string_view text) {
  while (!text.empty()) {
    const char c = text[0];
    const size_t n = utf8_length(text);
    switch (n == 1 ? c : '\0') {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // Error texts come from remote servers: a control byte or broken UTF-8 in them must not
        // make the file invalid HTML, so they become a space and U+FFFD.
        if (n == 0)
          out += "\ufffd";
        else if (n == 1 && static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
          out += ' ';
        else
          out.append(text.data(), n);
    }
    text.remove_prefix(n == 0 ? 1 : n);
  }
}

}  // namespace resync::views::detail

// SPDX-License-Identifier: MIT
#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <map>
#include <stdexcept>

#include "history_common.hpp"
#include "resync/views/history_export.hpp"

namespace resync::views {

namespace detail {

void append_label_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
  }
}

void append_epoch_seconds(std::string& out, int64_t epoch_ms) {
  // Floor division, so a time before 1970 still prints its own second.
  const int64_t seconds = epoch_ms >= 0 ? epoch_ms / 1000 : -((-epoch_ms + 999) / 1000);
  const int64_t ms = epoch_ms - seconds * 1000;
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, seconds);
  out.append(buf, res.ptr);
  if (ms == 0) return;
  char frac[5] = {'.', char('0' + ms / 100), char('0' + ms / 10 % 10), char('0' + ms % 10), 0};
  size_t len = 4;
  while (frac[len - 1] == '0') --len;
  out.append(frac, len);
}

void append_iso8601(std::string& out, int64_t epoch_ms) {
  const int64_t seconds = epoch_ms >= 0 ? epoch_ms / 1000 : -((-epoch_ms + 999) / 1000);
  const int64_t ms = epoch_ms - seconds * 1000;
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  if (ms != 0) {
    buf[n++] = '.';
    buf[n++] = char('0' + ms / 100);
    buf[n++] = char('0' + ms / 10 % 10);
    buf[n++] = char('0' + ms % 10);
  }
  buf[n++] = 'Z';
  out.append(buf, n);
}

}  // namespace detail

std::vector<std::string> series_labels(const MonitorSnapshot& snap) {
  const std::vector<SeriesKey>& keys = snap.keys();
  std::map<std::string, size_t> instances;
  for (const SeriesKey& k : keys) ++instances[k.metric];
  std::vector<std::string> labels;
  labels.reserve(keys.size());
  for (const SeriesKey& k : keys) {
    labels.push_back(instances[k.metric] > 1 ? k.metric + "{" + k.instance + "}" : k.metric);
  }
  return labels;
}

HistorySelection select_history(const MonitorSnapshot& snap, const HistoryQuery& query) {
  const std::vector<SeriesKey>& keys = snap.keys();
  const std::vector<std::string> labels = series_labels(snap);
  HistorySelection out;
  if (query.series.empty()) {
    for (size_t c = 0; c < keys.size(); ++c) out.columns.push_back(c);
  }
  for (const std::string& wanted : query.series) {
    const size_t before = out.columns.size();
    for (size_t c = 0; c < keys.size(); ++c) {
      if (labels[c] != wanted && keys[c].metric != wanted &&
          keys[c].metric + "{" + keys[c].instance + "}" != wanted) {
        continue;
      }
      if (std::find(out.columns.begin(), out.columns.end(), c) == out.columns.end())
        out.columns.push_back(c);
    }
    if (out.columns.size() == before) {
      std::string known;
      for (const std::string& l : labels) known += (known.empty() ? "" : ", ") + l;
      throw std::invalid_argument("unknown series \"" + wanted +
                                  "\"; known: " + (known.empty() ? "(none)" : known));
    }
  }
  for (size_t c : out.columns) out.labels.push_back(labels[c]);
  const size_t rows = snap.store.rows;
  if (query.minutes) {
    if (*query.minutes < 1)
      throw std::invalid_argument("minutes: expected at least 1, got " +
                                  std::to_string(*query.minutes));
    const int64_t interval = std::max<int64_t>(1, snap.interval.count());
    // Same count as /history?minutes=N; capped first so a huge N cannot overflow.
    const int64_t minutes = std::min<int64_t>(*query.minutes, int64_t{1} << 40);
    const auto wanted = static_cast<uint64_t>(std::max<int64_t>(1, minutes * 60000 / interval));
    out.first_row = wanted >= rows ? 0 : rows - static_cast<size_t>(wanted);
  }
  return out;
}

}  // namespace resync::views

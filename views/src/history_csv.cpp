// SPDX-License-Identifier: MIT
#include <cmath>
#include <sstream>

#include "history_common.hpp"
#include "resync/views/history_export.hpp"

namespace resync::views {
namespace {

// RFC 4180: a field holding a comma, a quote or a line break is quoted, its quotes doubled.
void append_field(std::string& out, const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

void render_history_csv(std::ostream& out, const MonitorSnapshot& snap, const HistoryQuery& query) {
  const HistorySelection sel = select_history(snap, query);
  const StoreSnapshot& s = snap.store;
  std::string buf;
  buf.reserve(1u << 17);
  buf += "time,epoch";
  for (const std::string& label : sel.labels) {
    buf += ',';
    append_field(buf, label);
  }
  buf += '\n';
  for (size_t r = sel.first_row; r < s.rows; ++r) {
    detail::append_iso8601(buf, s.timestamps_ms[r]);
    buf += ',';
    detail::append_epoch_seconds(buf, s.timestamps_ms[r]);
    for (size_t c : sel.columns) {
      buf += ',';
      const double v = s.at(c, r);
      if (!std::isnan(v)) detail::append_number(buf, v);
    }
    buf += '\n';
    detail::flush_if_full(out, buf);
  }
  detail::flush(out, buf);
}

std::string render_history_csv(const MonitorSnapshot& snap, const HistoryQuery& query) {
  std::ostringstream out;
  render_history_csv(out, snap, query);
  return std::move(out).str();
}

}  // namespace resync::views

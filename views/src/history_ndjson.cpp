// SPDX-License-Identifier: MIT
#include <sstream>

#include "history_common.hpp"
#include "resync/json_writer.hpp"
#include "resync/views/history_export.hpp"

namespace resync::views {

void render_history_ndjson(std::ostream& out, const MonitorSnapshot& snap,
                           const HistoryQuery& query) {
  const HistorySelection sel = select_history(snap, query);
  const StoreSnapshot& s = snap.store;
  // Each label's quoted key is the same on every line: escape it once.
  std::vector<std::string> keys;
  for (const std::string& label : sel.labels) {
    std::string k;
    append_json_string(k, label);
    keys.push_back(k + ':');
  }
  std::string buf;
  buf.reserve(1u << 17);
  for (size_t r = sel.first_row; r < s.rows; ++r) {
    buf += "{\"time\":\"";
    detail::append_iso8601(buf, s.timestamps_ms[r]);
    buf += "\",\"epoch\":";
    detail::append_epoch_seconds(buf, s.timestamps_ms[r]);
    buf += ",\"values\":{";
    for (size_t i = 0; i < sel.columns.size(); ++i) {
      if (i) buf += ',';
      buf += keys[i];
      append_json_number(buf, s.at(sel.columns[i], r));
    }
    buf += "}}\n";
    detail::flush_if_full(out, buf);
  }
  detail::flush(out, buf);
}

std::string render_history_ndjson(const MonitorSnapshot& snap, const HistoryQuery& query) {
  std::ostringstream out;
  render_history_ndjson(out, snap, query);
  return std::move(out).str();
}

}  // namespace resync::views

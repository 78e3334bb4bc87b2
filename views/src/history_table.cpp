// SPDX-License-Identifier: MIT
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "history_common.hpp"
#include "resync/views/history_export.hpp"
#include "resync/views/json.hpp"

namespace resync::views {

void render_history_table(std::ostream& out, const MonitorSnapshot& snap,
                          const HistoryQuery& query) {
  const HistorySelection sel = select_history(snap, query);
  const StoreSnapshot& s = snap.store;
  const size_t rows = s.rows - sel.first_row;
  // Cells first, so every column is as wide as its widest cell.
  std::vector<std::vector<std::string>> cells(sel.columns.size(), std::vector<std::string>(rows));
  std::vector<size_t> width(sel.columns.size());
  for (size_t i = 0; i < sel.columns.size(); ++i) {
    width[i] = sel.labels[i].size();
    for (size_t r = 0; r < rows; ++r) {
      const double v = s.at(sel.columns[i], sel.first_row + r);
      char text[32] = "-";
      // Whole numbers (bytes, counters) in full: 12713984 reads better than 1.2714e+07.
      if (!std::isnan(v))
        std::snprintf(text, sizeof text,
                      v == std::floor(v) && std::fabs(v) < 1e15 ? "%.0f" : "%.6g", v);
      cells[i][r] = text;
      width[i] = std::max(width[i], cells[i][r].size());
    }
  }
  std::string buf = "TIME    ";
  for (size_t i = 0; i < sel.columns.size(); ++i) {
    buf += "  " + std::string(width[i] - sel.labels[i].size(), ' ') + sel.labels[i];
  }
  buf += '\n';
  for (size_t r = 0; r < rows; ++r) {
    buf += format_clock(s.timestamps_ms[sel.first_row + r]);
    for (size_t i = 0; i < sel.columns.size(); ++i) {
      buf += "  " + std::string(width[i] - cells[i][r].size(), ' ') + cells[i][r];
    }
    buf += '\n';
    detail::flush_if_full(out, buf);
  }
  detail::flush(out, buf);
}

std::string render_history_table(const MonitorSnapshot& snap, const HistoryQuery& query) {
  std::ostringstream out;
  render_history_table(out, snap, query);
  return std::move(out).str();
}

}  // namespace resync::views

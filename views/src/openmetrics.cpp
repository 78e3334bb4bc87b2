// SPDX-License-Identifier: MIT
#include <algorithm>
#include <cmath>
#include <sstream>

#include "history_common.hpp"
#include "resync/catalog.hpp"
#include "resync/views/history_export.hpp"
#include "resync/views/prometheus_text.hpp"

namespace resync::views {
namespace {

using detail::append_label_escaped;
using detail::ends_with;

// OpenMetrics only allows a UNIT the family name ends with; other units are left unsaid.
std::string unit_of(const std::string& family, Unit unit) {
  std::string u;
  if (unit == Unit::kSeconds || unit == Unit::kMilliseconds)
    u = "seconds";  // exposition_name scales ms
  if (unit == Unit::kBytes) u = "bytes";
  if (unit == Unit::kPercent) u = "percent";
  if (unit == Unit::kRatio) u = "ratio";
  return !u.empty() && ends_with(family, "_" + u) ? u : "";
}

}  // namespace

void render_openmetrics(std::ostream& out, const MonitorSnapshot& snap, const HistoryQuery& query) {
  const HistorySelection sel = select_history(snap, query);
  const std::vector<SeriesKey>& keys = snap.keys();
  const StoreSnapshot& s = snap.store;
  // A family's samples must be contiguous: group the selected columns by metric, first seen first.
  std::vector<std::string> metrics;
  for (size_t c : sel.columns) {
    if (std::find(metrics.begin(), metrics.end(), keys[c].metric) == metrics.end())
      metrics.push_back(keys[c].metric);
  }
  std::string buf;
  buf.reserve(1u << 17);
  for (const std::string& metric : metrics) {
    const SeriesKey& first =
        keys[*std::find_if(sel.columns.begin(), sel.columns.end(),
                           [&](size_t c) { return keys[c].metric == metric; })];
    const SeriesDescription d =
        first.description.name.empty() ? SeriesDescription(metric) : first.description;
    double scale = 1;
    const std::string sample_name = exposition_name(d, &scale);
    const bool counter = d.kind == Kind::kCounter;
    const std::string family =
        counter ? sample_name.substr(0, sample_name.size() - 6) : sample_name;
    buf += "# TYPE " + family + (counter ? " counter\n" : " gauge\n");
    const std::string unit = unit_of(family, d.unit);
    if (!unit.empty()) buf += "# UNIT " + family + " " + unit + "\n";
    buf += "# HELP " + family + " ";
    append_label_escaped(buf, d.help.empty() ? "Series " + metric + "." : d.help);
    buf += '\n';
    const char* label = is_host_series(metric) ? "{collector=\"" : "{instance=\"";
    for (size_t c : sel.columns) {
      if (keys[c].metric != metric) continue;
      std::string prefix = sample_name + label;
      append_label_escaped(prefix, keys[c].instance);
      prefix += "\"} ";
      for (size_t r = sel.first_row; r < s.rows; ++r) {
        const double v = s.at(c, r);
        if (std::isnan(v)) continue;  // a gap; a NaN sample would be a value in Prometheus
        buf += prefix;
        detail::append_number(buf, v * scale);
        buf += ' ';
        detail::append_epoch_seconds(buf, s.timestamps_ms[r]);
        buf += '\n';
        detail::flush_if_full(out, buf);
      }
    }
  }
  buf += "# EOF\n";
  detail::flush(out, buf);
}

std::string render_openmetrics(const MonitorSnapshot& snap, const HistoryQuery& query) {
  std::ostringstream out;
  render_openmetrics(out, snap, query);
  return std::move(out).str();
}

}  // namespace resync::views

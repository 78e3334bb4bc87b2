// SPDX-License-Identifier: MIT
// The report's cards and charts, drawn from the presentation model the live dashboard also reads
// (/api/monitoring/layout): the same cards, fields, charts and thresholds, with the values of the
// window's newest sample. Nothing here names a plugin.
#include <algorithm>
#include <cmath>

#include "html_report_chart.hpp"
#include "html_report_parts.hpp"
#include "resync/views/json.hpp"

namespace resync::views::detail {
namespace {

constexpr int64_t kTrendMs = 5 * 60'000;
const char* const kLevelClass[] = {"", " level-warning", " level-critical"};

// % change of a series against the sample five minutes earlier, as /current computes it: 0 when
// there is nothing to compare with.
std::string trend_of(const ReportData& d, size_t column) {
  const StoreSnapshot& s = d.snap.store;
  const size_t back = static_cast<size_t>(kTrendMs / std::max<int64_t>(1, d.snap.interval.count()));
  if (d.window.rows == 0 || d.window.last_row() < back) return "0 %";
  const double a = s.at(column, d.window.last_row() - back), b = s.at(column, d.window.last_row());
  const double pct = std::isnan(a) || std::isnan(b) || a == 0 ? 0 : (b - a) / std::fabs(a) * 100;
  if (pct == 0) return "0 %";
  return (pct > 0 ? "+" : "\u2212") + format_fixed(std::fabs(pct), 1) + " %";
}

// The status text a plugin's collectors report, as /current shows it; "" when the source has
// no collector health (a state file).
std::string status_of(const ReportData& d, const std::string& plugin) {
  for (const CollectorHealth& h : d.snap.health) {
    if (h.plugin != plugin) continue;
    if (!h.up && !h.last_error.empty()) return h.last_error;
    if (!h.status.empty()) return h.status;
    return d.window.rows ? "unknown" : "initializing";
  }
  return "";
}

double last_of(const ReportData& d, size_t column) {
  return d.window.rows ? d.snap.store.at(column, d.window.last_row()) : std::nan("");
}

void write_headline(std::string& out, const ReportData& d, const LayoutField& f, bool pair) {
  const double v = last_of(d, f.column);
  const int level = threshold_level(f.thresholds, v);
  Formatted shown = format_value(v, f.unit);
  // A yes/no headline reads better as its label: "connected" or "not connected". A card's only
  // big value says what it counts: "7 active", "62 req/s" (a label ending in the unit replaces it).
  if (f.unit == Unit::kBoolean && !std::isnan(v)) shown = {v != 0 ? f.label : "not " + f.label, ""};
  const bool ends_in_unit =
      !shown.unit.empty() && f.label.size() >= shown.unit.size() &&
      f.label.compare(f.label.size() - shown.unit.size(), std::string::npos, shown.unit) == 0;
  if (!pair && !std::isnan(v) && f.unit != Unit::kBoolean &&
      (f.unit == Unit::kCount || ends_in_unit))
    shown.unit = f.label;
  out += "<span>";
  if (pair && f.unit != Unit::kBoolean) {
    out += "<span class=\"label\">";
    append_escaped(out, f.label);
    out += "</span>";
  }
  out += std::string("<span class=\"value") + kLevelClass[level] + "\">";
  append_escaped(out, shown.number);
  out += "</span>";
  if (!shown.unit.empty()) {
    out += "<span class=\"unit\">";
    append_escaped(out, shown.unit);
    out += "</span>";
  }
  out += "</span>";
}

void write_card(std::string& out, const ReportData& d, const LayoutCard& card) {
  out += "<article class=\"card\" id=\"";
  append_escaped(out, card.id);
  out += "\"><h2>";
  append_escaped(out, card.title);
  const size_t heads = static_cast<size_t>(
      std::count_if(card.fields.begin(), card.fields.end(), [](auto& f) { return f.headline; }));
  out += "</h2><div class=\"big" + std::string(heads > 1 ? " pair" : "") + "\">";
  for (const LayoutField& f : card.fields) {
    if (f.headline) write_headline(out, d, f, heads > 1);
  }
  out += "</div><dl class=\"kv\">";
  for (const LayoutField& f : card.fields) {
    if (f.headline) continue;
    const double v = last_of(d, f.column);
    out += "<dt>";
    append_escaped(out, f.label);
    const int level = threshold_level(f.thresholds, v);
    out +=
        level ? std::string("</dt><dd class=\"") + (kLevelClass[level] + 1) + "\">" : "</dt><dd>";
    append_escaped(out, format_value(v, f.unit).text());
    out += "</dd>";
  }
  if (!card.trend.empty()) out += "<dt>5 min</dt><dd>" + trend_of(d, card.trend_column) + "</dd>";
  out += "</dl>";
  const std::string note = card.status.empty() ? "" : status_of(d, card.plugin);
  if (!note.empty()) {
    out += "<div class=\"note\">";
    append_escaped(out, note);
    out += "</div>";
  }
  out += "</article>\n";
}

// "ok", "warning" while a warning alert fires and nothing worse is wrong, "degraded" or
// "initializing": the dashboard's Status card.
std::string status_word(const MonitorSnapshot& snap) {
  if (snap.store.empty()) return "initializing";
  std::string status = "ok";
  for (const CollectorHealth& h : snap.health) status = h.up ? status : "degraded";
  for (const Alert& a : snap.active) {
    if (a.severity == Severity::kCritical) status = "degraded";
    if (status == "ok") status = "warning";
  }
  return status;
}

// Status, uptime, alerts and samples, as the dashboard's first card.
void write_status_card(std::string& out, const ReportData& d) {
  const MonitorSnapshot& snap = d.snap;
  const std::string status = status_word(snap);
  const int64_t uptime_s = snap.started_at_ms ? (snap.taken_at_ms - snap.started_at_ms) / 1000 : -1;
  out +=
      "<article class=\"card\" id=\"card-status\"><h2>Status</h2><div class=\"big\"><span "
      "class=\"value status-" +
      status + "\">" + status +
      "</span></div><dl class=\"kv\"><dt title=\"Time since this resync-mon "
      "started\">monitor up</dt><dd>" +
      (uptime_s >= 0 ? format_uptime(uptime_s) : std::string(kMissing)) +
      "</dd><dt>alerts</dt><dd>" +
      // A format-1 state file keeps samples only: whether alerts were active is not known.
      (snap.health.empty() && !snap.store.empty() ? std::string(kMissing)
       : snap.active.empty()                      ? std::string("none")
                             : std::to_string(snap.active.size()) + " active") +
      "</dd><dt>samples</dt><dd>" + format_fixed(double(d.window.rows), 0) + " / " +
      format_fixed(double(snap.capacity), 0) + "</dd><dt>version</dt><dd>" + version() +
      "</dd></dl></article>\n";
}

// A line's values on the window's rows; a counter becomes its rate per second, and a reset of
// its source (the value fell) a gap rather than a negative rate.
std::vector<double> line_values(const ReportData& d, const LayoutLine& l) {
  const StoreSnapshot& s = d.snap.store;
  std::vector<double> v(d.window.rows);
  for (size_t r = 0; r < v.size(); ++r) {
    const size_t row = d.window.first_row + r;
    v[r] = s.at(l.column, row);
    if (!l.rate) continue;
    if (row == 0) {
      v[r] = std::nan("");
      continue;
    }
    const double before = s.at(l.column, row - 1);
    const double seconds = double(s.timestamps_ms[row] - s.timestamps_ms[row - 1]) / 1000.0;
    const double delta = s.at(l.column, row) - before;
    v[r] = seconds > 0 && delta >= 0 ? delta / seconds : std::nan("");
  }
  return v;
}

}  // namespace

void write_cards(std::string& out, const ReportData& d) {
  out += "<section class=\"cards\" aria-label=\"Values at the end of the window\">\n";
  write_status_card(out, d);
  for (const LayoutCard& card : d.layout.cards) write_card(out, d, card);
  out += "</section>\n";
  // As on the dashboard: what is not configured is one line, not a row of empty cards.
  if (!d.layout.unconfigured.empty()) {
    out += "<p class=\"unconfigured\" id=\"unconfigured\"><b>Not configured:</b> ";
    for (size_t i = 0; i < d.layout.unconfigured.size(); ++i) {
      if (i) out += ", ";
      append_escaped(out, d.layout.unconfigured[i]);
    }
    out += "</p>\n";
  }
}

void write_charts(std::string& out, const ReportData& d) {
  const StoreSnapshot& s = d.snap.store;
  if (d.layout.charts.empty()) return;
  ChartInput base;
  base.times_ms = s.timestamps_ms.data() + d.window.first_row;
  base.rows = d.window.rows;
  base.start_ms = d.window.start_ms;
  base.end_ms = d.window.end_ms;
  // Any missing row is a gap: the sampler's grid has no sample there.
  base.max_step_ms = d.snap.interval.count() * 3 / 2;
  out += "<section class=\"charts\" aria-label=\"History\">\n";
  for (const LayoutChart& c : d.layout.charts) {
    ChartInput chart = base;
    chart.id = c.id;
    chart.title = c.title;
    chart.unit = c.unit;
    chart.percent = c.percent;
    for (const LayoutLine& l : c.lines)
      chart.lines.push_back({l.label, l.color, line_values(d, l)});
    for (const Threshold& t : c.thresholds)
      chart.thresholds.push_back({t.value, t.severity == Severity::kCritical});
    write_chart(out, chart);
  }
  out += "</section>\n";
}

}  // namespace resync::views::detail

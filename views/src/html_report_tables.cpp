// SPDX-License-Identifier: MIT
// The report's tables: every series' min / avg / max / last over the window, the alerts of the
// window and the collectors' health.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "html_report_parts.hpp"

namespace resync::views::detail {
namespace {

struct Stats {
  double min = std::nan(""), max = std::nan(""), last = std::nan(""), sum = 0;
  size_t count = 0;
  double avg() const { return count ? sum / double(count) : std::nan(""); }
};

Stats stats_of(const StoreSnapshot& s, size_t column, size_t first, size_t rows) {
  Stats st;
  const double* v = s.column(column) + first;
  for (size_t r = 0; r < rows; ++r) {
    if (!std::isfinite(v[r])) continue;
    st.min = st.count ? std::min(st.min, v[r]) : v[r];
    st.max = st.count ? std::max(st.max, v[r]) : v[r];
    st.sum += v[r];
    ++st.count;
  }
  // "last" is the newest row's value: missing there means missing now, as on the cards.
  if (rows) st.last = v[rows - 1];
  return st;
}

void cell(std::string& out, const std::string& text, const char* cls = "num") {
  out += "<td class=\"";
  out += cls;
  out += "\">";
  append_escaped(out, text);
  out += "</td>";
}

// Times of the day alone when they fall on the report's last day; with the date otherwise.
std::string when(int64_t ms, int64_t end_ms) {
  const bool same_day = format_local(ms, "%F") == format_local(end_ms, "%F");
  return format_local(ms, same_day ? "%H:%M:%S" : "%F %H:%M:%S");
}

}  // namespace

void write_series_table(std::string& out, const ReportData& d) {
  const std::vector<SeriesKey>& keys = d.snap.keys();
  const StoreSnapshot& s = d.snap.store;
  out +=
      "<section class=\"panel wide\"><h2>Series <span class=\"count\">min, average, max and last "
      "value of "
      "the window</span></h2>\n<table class=\"stats\"><thead><tr><th>series</th><th "
      "class=\"num\">min</th>"
      "<th class=\"num\">avg</th><th class=\"num\">max</th><th class=\"num\">last</th>"
      "<th class=\"num\">samples</th></tr></thead>\n<tbody>";
  // One block per collector instance, in the order the layout holds them.
  std::vector<std::string> instances;
  for (const SeriesKey& k : keys) {
    if (std::find(instances.begin(), instances.end(), k.instance) == instances.end())
      instances.push_back(k.instance);
  }
  const std::string total = format_fixed(double(d.window.rows), 0);
  for (const std::string& instance : instances) {
    out += "<tr class=\"group\"><th colspan=\"6\">";
    append_escaped(out, instance.empty() ? std::string("(no instance)") : instance);
    for (const SeriesKey& k : keys) {
      if (k.instance == instance && !k.plugin.empty() && k.plugin != instance) {
        out += " <span class=\"plugin\">(";
        append_escaped(out, k.plugin);
        out += ")</span>";
        break;
      }
    }
    out += "</th></tr>\n";
    for (size_t c = 0; c < keys.size(); ++c) {
      if (keys[c].instance != instance) continue;
      const SeriesDescription& desc = keys[c].description;
      const Stats st = stats_of(s, c, d.window.first_row, d.window.rows);
      out += "<tr><td class=\"name\"";
      if (!desc.help.empty()) {
        out += " title=\"";
        append_escaped(out, desc.help);
        out += "\"";
      }
      out += ">";
      append_escaped(out, keys[c].metric);
      out += "</td>";
      cell(out, format_value(st.min, desc.unit).text());
      // The average of a yes/no series is the share of samples that said yes.
      // The mean of a yes/no series is the share of samples that said yes: "100.0 % yes" read
      // as a percentage that is also a yes.
      cell(out, desc.unit == Unit::kBoolean && st.count
                    ? format_fixed(st.avg() * 100, 1) + " % of samples"
                    : format_value(st.avg(), desc.unit).text());
      cell(out, format_value(st.max, desc.unit).text());
      cell(out, format_value(st.last, desc.unit).text());
      cell(out, format_fixed(double(st.count), 0) + " / " + total);
      out += "</tr>\n";
    }
  }
  if (instances.empty())
    out += "<tr><td class=\"empty\" colspan=\"6\">No series in the source</td></tr>";
  out += "</tbody></table></section>\n";
}

void write_alerts(std::string& out, const ReportData& d) {
  // recent() and active() overlap: an active alert is in both.
  std::vector<Alert> alerts = d.snap.alerts;
  for (const Alert& a : d.snap.active) {
    const auto same = [&](const Alert& b) {
      return std::tie(a.type, a.instance, a.started_at_ms, a.timestamp_ms) ==
             std::tie(b.type, b.instance, b.started_at_ms, b.timestamp_ms);
    };
    if (std::none_of(alerts.begin(), alerts.end(), same)) alerts.push_back(a);
  }
  const int64_t from = d.window.start_ms, to = d.window.end_ms;
  alerts.erase(std::remove_if(alerts.begin(), alerts.end(),
                              [&](const Alert& a) {
                                return a.started_at_ms > to ||
                                       (a.resolved_at_ms && *a.resolved_at_ms < from);
                              }),
               alerts.end());
  std::stable_sort(alerts.begin(), alerts.end(), [](const Alert& a, const Alert& b) {
    return a.started_at_ms > b.started_at_ms;
  });
  size_t active = 0;
  for (const Alert& a : alerts) active += a.active() ? 1 : 0;

  out += "<section class=\"panel\"><h2>Alerts <span class=\"count\">";
  // Samples without collector health come from a format-1 state file, which keeps no alerts either.
  const bool samples_only = d.snap.health.empty() && !d.snap.store.empty();
  out += alerts.empty()
             ? std::string(samples_only ? "not kept by the source" : "none in the window")
             : std::to_string(alerts.size()) + " in the window \u00b7 " + std::to_string(active) +
                   " active";
  out += "</span></h2>\n";
  if (alerts.empty()) {
    out += samples_only ? "<p class=\"empty\">The source holds no alerts (a state file of format 1 "
                          "keeps samples only).</p></section>\n"
                        : "<p class=\"empty\">No alert in this window.</p></section>\n";
    return;
  }
  // Three columns, so the table fits the narrow half of the page beside the collectors.
  out +=
      "<table class=\"alerts\"><thead><tr><th>severity</th><th>alert</th><th>started / "
      "ended</th></tr></thead>\n"
      "<tbody>";
  for (const Alert& a : alerts) {
    const char* severity = to_string(a.severity);
    out += "<tr class=\"sev-" + std::string(severity) + "\"><td><span class=\"sev\">" + severity +
           "</span></td><td><div class=\"msg\">";
    append_escaped(out, a.message.empty() ? a.type : a.message);
    out += "</div><div class=\"where\">";
    append_escaped(out, a.type + (a.instance.empty() ? "" : " \u00b7 " + a.instance));
    out += "</div></td><td class=\"time\">" + when(a.started_at_ms, to) + "<br>";
    if (a.resolved_at_ms) {
      out += when(*a.resolved_at_ms, to) + "<div class=\"where\">" +
             format_span(*a.resolved_at_ms - a.started_at_ms) + "</div>";
    } else {
      out += "<span class=\"bad\">active</span><div class=\"where\">" +
             format_span(std::max<int64_t>(0, to - a.started_at_ms)) + " so far</div>";
    }
    out += "</td></tr>\n";
  }
  out += "</tbody></table></section>\n";
}

void write_health(std::string& out, const ReportData& d) {
  out += "<section class=\"panel\"><h2>Collectors</h2>\n";
  if (d.snap.health.empty()) {
    out += d.snap.store.empty()
               ? "<p class=\"empty\">No collector has reported yet.</p></section>\n"
               : "<p class=\"empty\">The source holds no collector health (a state file of format "
                 "1 keeps "
                 "samples only): see collector_up in the series table.</p></section>\n";
    return;
  }
  out +=
      "<table class=\"health\"><thead><tr><th>collector</th><th>state</th><th "
      "class=\"num\">duration</th>"
      "<th>status</th><th class=\"num\">runs</th><th class=\"num\">failures</th><th>last "
      "error</th></tr></thead>\n"
      "<tbody>";
  for (const CollectorHealth& h : d.snap.health) {
    out += "<tr><td class=\"name\">";
    append_escaped(out, h.name);
    if (!h.plugin.empty() && h.plugin != h.name) {
      out += " <span class=\"plugin\">(";
      append_escaped(out, h.plugin);
      out += ")</span>";
    }
    out += "</td><td class=\"" + std::string(h.up ? "good" : "bad") + "\">" +
           (h.up ? "up" : "down") + "</td>";
    cell(out, format_fixed(h.duration_ms, 1) + " ms");
    cell(out, h.status.empty() ? std::string(kMissing) : h.status, "status");
    cell(out, format_fixed(double(h.runs), 0));
    cell(out, format_fixed(double(h.failures), 0));
    std::string error = h.last_error;
    if (!error.empty() && h.last_error_at_ms)
      error += " (" + when(h.last_error_at_ms, d.window.end_ms) + ")";
    // A collector that recovered keeps its last error for the record, but not in red.
    const bool recovered = h.up && !error.empty();
    cell(out, recovered ? "recovered; was: " + error : error, recovered ? "recovered" : "error");
    out += "</tr>\n";
  }
  out += "</tbody></table></section>\n";
}

}  // namespace resync::views::detail

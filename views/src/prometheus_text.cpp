// SPDX-License-Identifier: MIT
#include "resync/views/prometheus_text.hpp"

#include <algorithm>
#include <cmath>

#include "history_common.hpp"
#include "resync/catalog.hpp"

namespace resync::views {
namespace {

using detail::append_number;
using detail::ends_with;

// Label values escape backslash, double quote and newline (text format 0.0.4).
void write_label_value(std::string& out, const std::string& v) {
  out += '"';
  detail::append_label_escaped(out, v);
  out += '"';
}

// HELP text escapes backslash and newline only.
void write_help(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

// Delivery state of the notifiers: one family per field, one line per notifier.
void write_notifiers(std::string& out, const std::vector<NotifierHealth>& notifiers) {
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    double (*value)(const NotifierHealth&);
  };
  static const Family kFamilies[] = {
      {"resync_mon_notify_queued", "gauge", "Alert events waiting or in flight to the notifier.",
       [](const NotifierHealth& n) { return double(n.queued); }},
      {"resync_mon_notify_sent_total", "counter", "Alert events the notifier delivered.",
       [](const NotifierHealth& n) { return double(n.sent); }},
      {"resync_mon_notify_failed_total", "counter",
       "Alert events given up after retries or refused.",
       [](const NotifierHealth& n) { return double(n.failed); }},
      {"resync_mon_notify_dropped_total", "counter",
       "Alert events dropped from the notifier's full queue.",
       [](const NotifierHealth& n) { return double(n.dropped); }},
      {"resync_mon_notify_last_success_timestamp_seconds", "gauge",
       "When the notifier last delivered; 0 = never.",
       [](const NotifierHealth& n) { return double(n.last_success_ms) / 1000.0; }},
      {"resync_mon_notify_last_error_timestamp_seconds", "gauge",
       "When the notifier last failed; 0 = never.",
       [](const NotifierHealth& n) { return double(n.last_error_ms) / 1000.0; }},
  };
  if (notifiers.empty()) return;
  for (const Family& f : kFamilies) {
    out +=
        std::string("# HELP ") + f.name + ' ' + f.help + "\n# TYPE " + f.name + ' ' + f.type + '\n';
    for (const NotifierHealth& n : notifiers) {
      out += f.name;
      out += "{notifier=";
      write_label_value(out, n.name);
      out += "} ";
      append_number(out, f.value(n));
      out += '\n';
    }
  }
}

}  // namespace

std::string exposition_name(const SeriesDescription& series, double* scale) {
  std::string name = series.name;
  double factor = 1;
  if (series.unit == Unit::kMilliseconds) {
    if (ends_with(name, "_ms")) name.resize(name.size() - 3);
    name += "_seconds";
    factor = 1e-3;
  } else if (series.unit == Unit::kSeconds && !ends_with(name, "_seconds")) {
    name += "_seconds";
  } else if (series.unit == Unit::kBytes && !ends_with(name, "_bytes")) {
    name += "_bytes";
  } else if (ends_with(name, "_per_sec")) {
    name += "ond";
  }
  if (series.kind == Kind::kCounter && !ends_with(name, "_total")) name += "_total";
  if (scale) *scale = factor;
  return "resync_mon_" + name;
}

namespace {

// A series of a collector a reload removed: its history stays in the window, but it has no value
// now, and Prometheus should see it go (stale), not a NaN until it ages out. Only a live
// monitor's snapshot lists the running collectors.
bool removed(const MonitorSnapshot& snap, const SeriesKey& k) {
  if (snap.health.empty()) return false;
  return std::none_of(snap.health.begin(), snap.health.end(),
                      [&](const CollectorHealth& h) { return h.name == k.instance; });
}

}  // namespace

std::string render_prometheus(const MonitorSnapshot& snap) {
  const std::vector<SeriesKey>& keys = snap.keys();
  const StoreSnapshot& s = snap.store;
  // One HELP/TYPE block per metric, one line per instance, metrics in layout order.
  std::vector<std::string> metrics;
  for (const SeriesKey& k : keys) {
    if (!removed(snap, k) && std::find(metrics.begin(), metrics.end(), k.metric) == metrics.end())
      metrics.push_back(k.metric);
  }
  std::string out;
  out.reserve(keys.size() * 160);
  for (const std::string& metric : metrics) {
    const auto first = std::find_if(keys.begin(), keys.end(),
                                    [&](const SeriesKey& k) { return k.metric == metric; });
    const SeriesDescription& d = first->description;
    double scale = 1;
    const std::string name =
        exposition_name(d.name.empty() ? SeriesDescription(metric) : d, &scale);
    out += "# HELP " + name + ' ';
    write_help(out, d.help.empty() ? "Series " + metric + "." : d.help);
    out += "\n# TYPE " + name + (d.kind == Kind::kCounter ? " counter\n" : " gauge\n");
    const char* label = is_host_series(metric) ? "{collector=" : "{instance=";
    const bool counter = d.kind == Kind::kCounter;
    for (size_t c = 0; c < keys.size(); ++c) {
      if (keys[c].metric != metric || removed(snap, keys[c])) continue;
      out += name;
      out += label;
      write_label_value(out, keys[c].instance);
      out += "} ";
      double v = s.empty() ? std::nan("") : s.at(c, s.rows - 1) * scale;
      // A counter is finite and never negative: anything else a target reported is no reading,
      // exported as NaN like a failed run, because rate() would take +Inf or -5 at face value. A
      // value below the previous one stays as it is: Prometheus reads that as a counter reset.
      if (counter && !(v >= 0 && std::isfinite(v))) v = std::nan("");
      if (v == 0) v = 0;  // no "-0"
      append_number(out, v);
      out += '\n';
    }
  }
  write_notifiers(out, snap.notifiers);
  return out;
}

}  // namespace resync::views

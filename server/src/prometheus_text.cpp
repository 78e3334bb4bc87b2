// SPDX-License-Identifier: MIT
#include "resync/server/prometheus_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <locale>
#include <sstream>

#include "resync/catalog.hpp"

namespace resync::server {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void write_value(std::ostream& out, double v) {
  if (std::isnan(v)) {
    out << "NaN";
  } else if (std::isinf(v)) {
    out << (v > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.write(buf, res.ptr - buf);
  }
}

// Label values escape backslash, double quote and newline (text format 0.0.4).
void write_label_value(std::ostream& out, const std::string& v) {
  out << '"';
  for (char c : v) {
    if (c == '\\')
      out << "\\\\";
    else if (c == '"')
      out << "\\\"";
    else if (c == '\n')
      out << "\\n";
    else
      out << c;
  }
  out << '"';
}

// HELP text escapes backslash and newline only.
std::string escape_help(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string exposition_name(const std::string& metric, double* scale) {
  const MetricInfo* info = find_metric(metric);
  std::string name = metric;
  double factor = 1;
  if (info && info->unit == "ms") {
    if (ends_with(name, "_ms")) name.resize(name.size() - 3);
    name += "_seconds";
    factor = 1e-3;
  } else if (info && info->unit == "s" && !ends_with(name, "_seconds")) {
    name += "_seconds";
  } else if (ends_with(name, "_per_sec")) {
    name += "ond";
  }
  if (info && info->type == MetricType::kCounter && !ends_with(name, "_total")) name += "_total";
  if (scale) *scale = factor;
  return "resync_mon_" + name;
}

void render_prometheus(std::ostream& out, const Monitor& monitor) {
  out.imbue(std::locale::classic());
  const SeriesLayout& layout = monitor.layout();
  const StoreSnapshot snap = monitor.store().snapshot(1);
  // Group columns by metric: one HELP/TYPE block per metric, one line per instance.
  std::vector<std::string> metrics;
  for (const SeriesKey& k : layout.keys()) {
    if (std::find(metrics.begin(), metrics.end(), k.metric) == metrics.end()) metrics.push_back(k.metric);
  }
  for (const std::string& metric : metrics) {
    double scale = 1;
    const std::string name = exposition_name(metric, &scale);
    const MetricInfo* info = find_metric(metric);
    const bool per_collector = metric == kCollectorUp || metric == kCollectorDuration;
    out << "# HELP " << name << ' ' << escape_help(info ? info->help : "Series " + metric + " of a plugin.") << '\n';
    out << "# TYPE " << name << ' ' << (info && info->type == MetricType::kCounter ? "counter" : "gauge") << '\n';
    for (size_t column : layout.find_all(metric)) {
      out << name << '{' << (per_collector ? "collector=" : "instance=");
      write_label_value(out, layout.key(column).instance);
      out << "} ";
      write_value(out, snap.empty() ? std::nan("") : snap.at(column, 0) * scale);
      out << '\n';
    }
  }
}

std::string render_prometheus(const Monitor& monitor) {
  std::ostringstream out;
  render_prometheus(out, monitor);
  return out.str();
}

}  // namespace resync::server

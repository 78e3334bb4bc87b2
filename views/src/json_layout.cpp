// SPDX-License-Identifier: MIT
// GET /api/monitoring/layout: the presentation model as JSON for the dashboard's script. It
// changes only when the configuration does, so the server keeps it as a ready document with an
// ETag and a browser revalidates it for a 304.
#include "resync/json_writer.hpp"
#include "resync/views/presentation.hpp"

namespace resync::views {
namespace {

void write_path(JsonWriter& w, std::string_view key, const std::string& path) {
  w.key(key);
  if (path.empty())
    w.null();
  else
    w.value(path);
}

void write_unit(JsonWriter& w, Unit unit) {
  w.field("unit", unit_name(unit));
  w.field("symbol", unit_symbol(unit));
}

void write_thresholds(JsonWriter& w, const std::vector<Threshold>& thresholds) {
  w.key("thresholds").begin_array();
  for (const Threshold& t : thresholds) {
    w.begin_object();
    w.field("severity", to_string(t.severity));
    w.field("op", to_symbol(t.comparison));
    w.field("value", t.value);
    w.end_object();
  }
  w.end_array();
}

void write_card(JsonWriter& w, const LayoutCard& card) {
  w.begin_object();
  w.field("id", card.id);
  w.field("title", card.title);
  w.field("plugin", card.plugin);
  write_path(w, "trend", card.trend);
  write_path(w, "status", card.status);
  w.key("fields").begin_array();
  for (const LayoutField& f : card.fields) {
    w.begin_object();
    w.field("metric", f.metric);
    w.field("instance", f.instance);
    w.field("label", f.label);
    write_unit(w, f.unit);
    w.field("kind", f.kind == Kind::kCounter ? "counter" : "gauge");
    write_path(w, "current", f.current);
    w.field("headline", f.headline);
    write_thresholds(w, f.thresholds);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void write_chart(JsonWriter& w, const LayoutChart& chart) {
  w.begin_object();
  w.field("id", chart.id);
  w.field("title", chart.title);
  w.field("plugin", chart.plugin);
  write_unit(w, chart.unit);
  w.field("percent", chart.percent);
  w.key("lines").begin_array();
  for (const LayoutLine& l : chart.lines) {
    w.begin_object();
    w.field("metric", l.metric);
    w.field("instance", l.instance);
    w.field("label", l.label);
    w.field("color", l.color);
    write_path(w, "current", l.current);
    write_path(w, "history", l.history);
    w.field("rate", l.rate);
    w.field("increase", l.increase);
    w.end_object();
  }
  w.end_array();
  write_thresholds(w, chart.thresholds);
  w.end_object();
}

void write_names(JsonWriter& w, std::string_view key, const std::vector<std::string>& names) {
  w.key(key).begin_array();
  for (const std::string& n : names) w.value(n);
  w.end_array();
}

}  // namespace

std::string render_layout(const MonitorSnapshot& snap) {
  const Presentation p = build_presentation(snap);
  std::string out;
  out.reserve(4096);
  JsonWriter w(out);
  w.begin_object();
  w.field("interval_seconds", static_cast<double>(snap.interval.count()) / 1000.0);
  w.key("cards").begin_array();
  for (const LayoutCard& c : p.cards) write_card(w, c);
  w.end_array();
  w.key("charts").begin_array();
  for (const LayoutChart& c : p.charts) write_chart(w, c);
  w.end_array();
  write_names(w, "plugins", p.plugins);
  write_names(w, "not_configured", p.unconfigured);
  w.end_object();
  return out;
}
}  // namespace resync::views

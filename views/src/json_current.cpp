// SPDX-License-Identifier: MIT
#include <cmath>
#include <map>
#include <memory>

#include "field_tree.hpp"
#include "json_common.hpp"
#include "original_shape.hpp"
#include "resync/json_writer.hpp"
#include "resync/views/json.hpp"

namespace resync::views {
namespace {

using detail::FieldNode;
using K = FieldNode::Kind;
constexpr int64_t kTrendMs = 5 * 60 * 1000;

std::string current_field(const SeriesDescription& d) { return d.current_field; }

// Trend and status leaves come from flags and plugin tables rather than from one series' field.
void add_trends_and_statuses(FieldNode& root, const MonitorSnapshot& snap) {
  const std::vector<SeriesKey>& keys = snap.keys();
  for (size_t c = 0; c < keys.size(); ++c) {
    const SeriesDescription& d = keys[c].description;
    if (!(d.flags & series_flags::kTrend) || d.current_field.empty()) continue;
    const std::string section = d.current_field.substr(0, d.current_field.rfind('.'));
    FieldNode& trend = root.at(section + ".trend");
    if (trend.kind == K::kSeries || !trend.columns.empty()) continue;
    trend.kind = K::kTrend;
    trend.columns.emplace_back(c, false);
  }
  for (const auto& [plugin, field] : snap.status_fields) {
    FieldNode& n = root.at(field);
    n.kind = K::kStatus;
    n.plugin = plugin;
  }
}

class CurrentWriter {
 public:
  CurrentWriter(const MonitorSnapshot& snap, JsonWriter& w) : snap_(snap), w_(w) {
    const size_t trend_rows =
        static_cast<size_t>(kTrendMs / std::max<int64_t>(1, snap.interval.count()));
    has_now_ = snap.store.rows > 0;
    has_before_ = snap.store.rows > trend_rows;
    now_row_ = snap.store.rows - 1;
    before_row_ = has_before_ ? snap.store.rows - 1 - trend_rows : 0;
  }

  void write_children(const FieldNode& node) {
    for (const FieldNode& c : node.children) {
      w_.key(c.name);
      write(c);
    }
  }

 private:
  void write(const FieldNode& n) {
    switch (n.kind) {
      case K::kObject:
        w_.begin_object();
        write_children(n);
        w_.end_object();
        return;
      case K::kZero:
        w_.value(int64_t{0});
        return;
      case K::kFalse:
        w_.value(false);
        return;
      case K::kText:
        w_.value(n.text);
        return;
      case K::kSeries: {
        const double v = has_now_ ? sum(n, now_row_) : 0;
        if (n.boolean)
          w_.value(v == 1);
        else
          w_.value(v);
        return;
      }
      case K::kTrend:
        w_.value(trend(n));
        return;
      case K::kStatus:
        w_.value(status_of(n.plugin));
        return;
      case K::kSpecial:
        if (n.name == "alerts") {
          w_.begin_array();
          for (size_t i = 0; i < snap_.alerts.size() && i < 5; ++i)
            detail::write_alert(w_, snap_.alerts[i]);
          w_.end_array();
        } else {
          w_.value(snap_.runs_started);
        }
        return;
    }
  }

  double sum(const FieldNode& n, size_t row) const {
    double total = 0;
    for (const auto& [column, increase] : n.columns) total += snap_.store.at(column, row);
    return total;
  }

  // % change against the sample five minutes earlier; 0 when there is none to compare with.
  double trend(const FieldNode& n) const {
    if (!has_before_ || n.columns.empty()) return 0;
    const double a = sum(n, before_row_), b = sum(n, now_row_);
    if (std::isnan(a) || std::isnan(b) || a == 0) return 0;
    return (b - a) / std::fabs(a) * 100.0;
  }

  std::string status_of(const std::string& plugin) const {
    for (const CollectorHealth& h : snap_.health) {
      if (h.plugin != plugin) continue;
      if (!h.up && !h.last_error.empty()) return h.last_error;
      if (!h.status.empty()) return h.status;
      return has_now_ ? "unknown" : "initializing";
    }
    return "not configured";
  }

  const MonitorSnapshot& snap_;
  JsonWriter& w_;
  bool has_now_ = false, has_before_ = false;
  size_t now_row_ = 0, before_row_ = 0;
};

// The shape depends only on the series list, which a monitor never changes: build it once per
// list and thread instead of on every render (it costs more than the rendering itself).
const FieldNode& shape_of(const MonitorSnapshot& snap) {
  thread_local std::shared_ptr<const std::vector<SeriesKey>> series;
  thread_local std::map<std::string, std::string> status_fields;
  thread_local FieldNode shape;
  if (!series || series != snap.series || status_fields != snap.status_fields) {
    shape = detail::build_shape(detail::original_current_shape(), snap, current_field);
    add_trends_and_statuses(shape, snap);
    series = snap.series;
    status_fields = snap.status_fields;
  }
  return shape;
}

}  // namespace

size_t current_rows(std::chrono::milliseconds interval) {
  return static_cast<size_t>(kTrendMs / std::max<int64_t>(1, interval.count())) + 1;
}

std::string render_current(const MonitorSnapshot& snap) {
  const FieldNode& shape = shape_of(snap);

  const bool empty = snap.store.empty();
  std::string status = "ok";
  if (empty) {
    status = "initializing";
  } else {
    for (const CollectorHealth& h : snap.health) status = h.up ? status : "degraded";
    for (const Alert& a : snap.active)
      status = a.severity == Severity::kCritical ? "degraded" : status;
  }
  const int64_t uptime_s = snap.started_at_ms ? (snap.taken_at_ms - snap.started_at_ms) / 1000 : 0;
  const int64_t last_ms = empty ? 0 : snap.store.timestamps_ms.back();

  std::string out;
  out.reserve(2048);
  JsonWriter w(out);
  w.begin_object();
  w.field("status", status);
  w.field("uptime", format_uptime(uptime_s));
  w.field("uptime_seconds", uptime_s);
  w.field("version", version());
  w.field("last_update", empty ? std::string("00:00:00") : format_clock(last_ms));
  w.field("timestamp", last_ms / 1000);
  CurrentWriter(snap, w).write_children(shape);
  w.key("collectors").begin_object();
  for (const CollectorHealth& h : snap.health) {
    w.key(h.name).begin_object();
    w.field("plugin", h.plugin);
    w.field("up", h.up);
    w.field("last_error", h.last_error);
    w.field("duration_ms", h.duration_ms);
    w.field("status", h.status);
    w.end_object();
  }
  w.end_object();
  w.end_object();
  return out;
}

}  // namespace resync::views

// SPDX-License-Identifier: MIT
#include <cmath>

#include "json_common.hpp"
#include "resync/json_writer.hpp"
#include "resync/views/json.hpp"

namespace resync::views {

std::string render_alerts(const MonitorSnapshot& snap) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("alerts").begin_array();
  for (const Alert& a : snap.alerts) detail::write_alert(w, a);
  w.end_array();
  w.field("count", static_cast<uint64_t>(snap.alerts.size()));
  w.field("active", static_cast<uint64_t>(snap.active.size()));
  // Apart from the history: every alert pending, firing or flapping now, however old.
  w.key("current").begin_array();
  for (const Alert& a : snap.current) detail::write_alert(w, a);
  w.end_array();
  w.key("events").begin_array();
  for (const AlertEvent& e : snap.events) detail::write_alert_event(w, e);
  w.end_array();
  w.end_object();
  return out;
}

namespace {

// The dashboard lists what discovery enabled and, for what needs a password, the line to add.
void write_discovery(JsonWriter& w, const DiscoveryReport& d) {
  w.key("discovery").begin_object();
  w.field("ran", d.ran);
  w.field("elapsed_ms", d.elapsed_ms);
  w.key("enabled").begin_array();
  for (const std::string& e : d.enabled) w.value(e);
  w.end_array();
  w.key("needs_credentials").begin_array();
  for (const DiscoveryReport::Pending& p : d.needs_credentials) {
    w.begin_object();
    w.field("what", p.what);
    w.field("how", p.how);
    w.field("config", p.config);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

// Which configuration a live server runs and how its reloads (SIGHUP) went: an operator (and a
// test) sees a refused reload here as well as in the log.
void write_config_status(JsonWriter& w, const ConfigStatus& c) {
  auto time = [&w](const char* key, int64_t ms) {
    w.key(key);
    if (ms)
      w.value(format_iso8601(ms));
    else
      w.null();
  };
  w.key("config").begin_object();
  w.field("source", c.source);
  time("loaded_at", c.loaded_at_ms);
  w.field("reloads", c.reloads);
  w.field("reload_failures", c.reload_failures);
  w.field("last_reload_error", c.last_reload_error);
  time("last_reload_error_at", c.last_reload_error_ms);
  w.end_object();
}

}  // namespace

std::string render_health(const MonitorSnapshot& snap) {
  const size_t series = snap.keys().size();
  bool all_up = true;
  for (const CollectorHealth& h : snap.health) all_up = all_up && h.up;
  const double bytes = double(snap.capacity) * double(series + 1) * sizeof(double);
  const uint64_t samples = snap.rows_held;

  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("status", samples == 0 ? "initializing" : all_up ? "ok" : "degraded");
  w.field("samples_collected", samples);
  w.field("max_samples", static_cast<uint64_t>(snap.capacity));
  w.field("history_window", static_cast<double>(snap.window.count()) / 1000.0);
  w.field("sample_interval", static_cast<double>(snap.interval.count()) / 1000.0);
  w.field("memory_estimate_mb", std::round(bytes / (1024.0 * 1024.0) * 100.0) / 100.0);
  w.field("series", static_cast<uint64_t>(series));
  w.field("ticks_skipped", snap.ticks_skipped);
  w.key("collectors").begin_object();
  for (const CollectorHealth& h : snap.health) {
    w.key(h.name).begin_object();
    w.field("plugin", h.plugin);
    w.field("up", h.up);
    w.field("last_error", h.last_error);
    w.key("last_error_at");
    if (h.last_error_at_ms)
      w.value(format_iso8601(h.last_error_at_ms));
    else
      w.null();
    w.field("status", h.status);
    w.field("duration_ms", h.duration_ms);
    w.field("consecutive_failures", static_cast<uint64_t>(h.consecutive_failures));
    w.field("effective_interval_seconds",
            static_cast<double>(h.effective_interval.count()) / 1000.0);
    w.field("runs", h.runs);
    w.field("failures", h.failures);
    w.field("isolation", h.isolation);
    w.field("restarts", h.restarts);
    w.end_object();
  }
  w.end_object();
  w.key("notify").begin_object();
  for (const NotifierHealth& n : snap.notifiers) {
    w.key(n.name).begin_object();
    w.field("kind", n.kind);
    w.field("url", n.url);
    w.field("queued", n.queued);
    w.field("sent", n.sent);
    w.field("failed", n.failed);
    w.field("dropped", n.dropped);
    w.key("last_success");
    if (n.last_success_ms)
      w.value(format_iso8601(n.last_success_ms));
    else
      w.null();
    w.field("last_error", n.last_error);
    w.key("last_error_at");
    if (n.last_error_ms)
      w.value(format_iso8601(n.last_error_ms));
    else
      w.null();
    w.end_object();
  }
  w.end_object();
  if (snap.discovery) write_discovery(w, *snap.discovery);
  if (!snap.config.source.empty()) write_config_status(w, snap.config);
  w.end_object();
  return out;
}

}  // namespace resync::views

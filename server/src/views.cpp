// SPDX-License-Identifier: MIT
#include "resync/server/views.hpp"

#include <cmath>
#include <ctime>

#include "resync/catalog.hpp"
#include "resync/json_writer.hpp"
#include "resync/util/rate.hpp"

#ifndef RESYNC_VERSION
#define RESYNC_VERSION "0.0.0"
#endif

namespace resync::server {
namespace {

constexpr int64_t kTrendMs = 5 * 60 * 1000;

// Values of the first instance of each metric in the newest row of a snapshot.
class Row {
 public:
  Row(const StoreSnapshot& snap, const SeriesLayout& layout, size_t row_back)
      : snap_(snap), layout_(layout), row_back_(row_back) {}

  bool exists() const { return snap_.rows > row_back_; }

  /// 0 when no collector provides the metric or there is no such row; NaN when missing.
  double value(std::string_view metric) const {
    auto column = layout_.find_first(metric);
    if (!column || !exists()) return 0;
    return snap_.at(*column, snap_.rows - 1 - row_back_);
  }
  double value(size_t column) const { return exists() ? snap_.at(column, snap_.rows - 1 - row_back_) : 0; }

 private:
  const StoreSnapshot& snap_;
  const SeriesLayout& layout_;
  size_t row_back_;
};

// % change against the sample five minutes earlier; 0 when there is none to compare with.
double trend(const Row& now, const Row& before, std::string_view metric) {
  if (!before.exists()) return 0;
  const double a = before.value(metric), b = now.value(metric);
  if (std::isnan(a) || std::isnan(b) || a == 0) return 0;
  return (b - a) / std::fabs(a) * 100.0;
}

std::string iso8601(int64_t epoch_ms) {
  const std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void write_alert(JsonWriter& w, const Alert& a) {
  w.begin_object();
  w.field("type", a.type);
  w.field("severity", to_string(a.severity));
  w.field("message", a.message);
  w.field("timestamp", iso8601(a.timestamp_ms));
  w.field("started_at", iso8601(a.started_at_ms));
  w.key("resolved_at");
  if (a.resolved_at_ms)
    w.value(iso8601(*a.resolved_at_ms));
  else
    w.null();
  w.field("instance", a.instance);
  w.field("value", a.value);
  w.field("active", a.active());
  w.end_object();
}

const CollectorHealth* first_of_plugin(const std::vector<CollectorHealth>& health, std::string_view plugin) {
  for (const CollectorHealth& h : health) {
    if (h.plugin == plugin) return &h;
  }
  return nullptr;
}

}  // namespace

const char* version() { return RESYNC_VERSION; }

std::string format_uptime(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  const int64_t days = seconds / 86400, hours = seconds % 86400 / 3600, minutes = seconds % 3600 / 60;
  std::string out;
  if (days > 0) out += std::to_string(days) + "d ";
  return out + std::to_string(hours) + "h " + std::to_string(minutes) + "m";
}

std::string format_clock(int64_t epoch_ms) {
  const std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

std::string render_current(const Monitor& monitor, int64_t now_ms) {
  const SeriesLayout& layout = monitor.layout();
  const int64_t interval_ms = monitor.config().interval.count();
  const size_t trend_rows = static_cast<size_t>(kTrendMs / interval_ms);
  const StoreSnapshot snap = monitor.store().snapshot(trend_rows + 1);
  const std::vector<CollectorHealth> health = monitor.sampler().health();
  const std::vector<Alert> alerts = monitor.alerts().recent(5);
  const std::vector<Alert> active = monitor.alerts().active();
  const Row now(snap, layout, 0), before(snap, layout, trend_rows);

  std::string status = "ok";
  if (snap.empty()) {
    status = "initializing";
  } else {
    for (const CollectorHealth& h : health) status = h.up ? status : "degraded";
    for (const Alert& a : active) status = a.severity == Severity::kCritical ? "degraded" : status;
  }
  const int64_t started_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(monitor.started_at().time_since_epoch()).count();
  const int64_t uptime_s = (now_ms - started_ms) / 1000;
  const int64_t last_ms = snap.empty() ? 0 : snap.timestamps_ms.back();

  std::string out;
  out.reserve(2048);
  JsonWriter w(out);
  w.begin_object();
  w.field("status", status);
  w.field("uptime", format_uptime(uptime_s));
  w.field("uptime_seconds", uptime_s);
  w.field("version", version());
  w.field("last_update", snap.empty() ? std::string("00:00:00") : format_clock(last_ms));
  w.field("timestamp", last_ms / 1000);

  w.key("api").begin_object();
  w.field("requests_per_sec", now.value("requests_per_sec"));
  w.field("requests_total", now.value("requests_total"));
  w.field("error_rate", now.value("error_rate"));
  w.field("error_count", now.value("error_count"));
  w.field("response_time_p50", now.value("response_time_p50"));
  w.field("response_time_p95", now.value("response_time_p95"));
  w.field("response_time_avg", now.value("response_time_avg"));
  w.field("trend", trend(now, before, "requests_per_sec"));
  w.end_object();

  w.key("cache").begin_object();
  w.field("hit_ratio", now.value("cache_hit_ratio"));
  w.field("hits", now.value("cache_hits"));
  w.field("misses", now.value("cache_misses"));
  w.field("size", now.value("cache_size"));
  w.field("evictions", now.value("cache_evictions"));
  w.field("trend", trend(now, before, "cache_hit_ratio"));
  w.end_object();

  w.key("agents").begin_object();
  w.field("active", now.value("agents_active"));
  w.field("created_total", now.value("agents_created"));
  w.field("failed_total", now.value("agents_failed"));
  w.field("trend", trend(now, before, "agents_active"));
  w.end_object();

  w.key("llm").begin_object();
  w.field("requests", now.value("llm_requests"));
  w.field("tokens_used", now.value("llm_tokens_used"));
  w.field("errors", now.value("llm_errors"));
  w.end_object();

  const CollectorHealth* tws = first_of_plugin(health, "tws");
  w.key("tws").begin_object();
  w.field("connected", now.value("tws_connected") == 1);
  w.field("latency_ms", now.value("tws_latency_ms"));
  w.field("requests_success", now.value("tws_requests_success"));
  w.field("requests_failed", now.value("tws_requests_failed"));
  w.field("status", !tws                                   ? std::string("not configured")
                    : !tws->up && !tws->last_error.empty() ? tws->last_error
                    : tws->status.empty()                  ? std::string(snap.empty() ? "initializing" : "unknown")
                                                           : tws->status);
  w.key("jobs").begin_object();
  w.field("error", now.value("tws_jobs_error"));
  w.field("running", now.value("tws_jobs_running"));
  w.field("waiting", now.value("tws_jobs_waiting"));
  w.field("done", now.value("tws_jobs_done"));
  w.end_object();
  w.end_object();

  w.key("system").begin_object();
  w.field("availability", now.value("system_availability"));
  w.field("async_operations", now.value("async_operations_active"));
  w.field("correlation_ids", monitor.sampler().runs_started());
  w.end_object();

  w.key("alerts").begin_array();
  for (const Alert& a : alerts) write_alert(w, a);
  w.end_array();

  w.key("host").begin_object();
  w.field("cpu_percent", now.value("host_cpu_percent"));
  w.field("memory_percent", now.value("host_memory_percent"));
  w.field("load1", now.value("host_load1"));
  w.field("process_rss_bytes", now.value("process_rss_bytes"));
  w.end_object();

  w.key("collectors").begin_object();
  for (const CollectorHealth& h : health) {
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

std::string render_history(const Monitor& monitor, size_t max_rows) {
  const SeriesLayout& layout = monitor.layout();
  const StoreSnapshot snap = monitor.store().snapshot(max_rows);
  std::string out;
  out.reserve(snap.rows * 160 + 512);
  JsonWriter w(out);

  auto series = [&](std::string_view key, std::string_view metric) {
    w.key(key).begin_array();
    auto column = layout.find_first(metric);
    for (size_t r = 0; r < snap.rows; ++r) {
      if (column)
        w.value(snap.at(*column, r));
      else
        w.value(int64_t{0});
    }
    w.end_array();
  };

  w.begin_object();
  w.key("timestamps").begin_array();
  for (int64_t t : snap.timestamps_ms) w.value(format_clock(t));
  w.end_array();
  w.key("epoch").begin_array();
  for (int64_t t : snap.timestamps_ms) w.value(t / 1000);
  w.end_array();

  w.key("api").begin_object();
  series("requests_per_sec", "requests_per_sec");
  series("error_rate", "error_rate");
  series("response_time_p50", "response_time_p50");
  series("response_time_p95", "response_time_p95");
  w.end_object();

  w.key("cache").begin_object();
  series("hit_ratio", "cache_hit_ratio");
  // Lookups (hits + misses) during each interval; the first row has no predecessor.
  w.key("operations").begin_array();
  auto hits = layout.find_first("cache_hits"), misses = layout.find_first("cache_misses");
  for (size_t r = 0; r < snap.rows; ++r) {
    if (!hits || !misses) {
      w.value(int64_t{0});
    } else if (r == 0) {
      w.null();
    } else {
      w.value(counter_increase(snap.at(*hits, r - 1), snap.at(*hits, r)) +
              counter_increase(snap.at(*misses, r - 1), snap.at(*misses, r)));
    }
  }
  w.end_array();
  w.end_object();

  w.key("agents").begin_object();
  series("active", "agents_active");
  series("created", "agents_created");
  w.end_object();

  w.key("tws").begin_object();
  series("latency", "tws_latency_ms");
  series("connected", "tws_connected");
  w.end_object();

  w.key("host").begin_object();
  series("cpu_percent", "host_cpu_percent");
  series("memory_percent", "host_memory_percent");
  series("load1", "host_load1");
  w.end_object();

  w.field("sample_count", static_cast<uint64_t>(snap.rows));
  w.field("interval_seconds", static_cast<double>(monitor.config().interval.count()) / 1000.0);
  w.end_object();
  return out;
}

std::string render_alerts(const Monitor& monitor) {
  const std::vector<Alert> alerts = monitor.alerts().recent();
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("alerts").begin_array();
  for (const Alert& a : alerts) write_alert(w, a);
  w.end_array();
  w.field("count", static_cast<uint64_t>(alerts.size()));
  w.field("active", static_cast<uint64_t>(monitor.alerts().active().size()));
  w.end_object();
  return out;
}

std::string render_health(const Monitor& monitor) {
  const std::vector<CollectorHealth> health = monitor.sampler().health();
  const RingBuffer& store = monitor.store();
  const size_t samples = store.size();
  bool all_up = true;
  for (const CollectorHealth& h : health) all_up = all_up && h.up;
  const double bytes = double(store.capacity()) * double(store.series_count() + 1) * sizeof(double);

  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("status", samples == 0 ? "initializing" : all_up ? "ok" : "degraded");
  w.field("samples_collected", static_cast<uint64_t>(samples));
  w.field("max_samples", static_cast<uint64_t>(store.capacity()));
  w.field("history_window", static_cast<double>(monitor.config().window.count()) / 1000.0);
  w.field("sample_interval", static_cast<double>(monitor.config().interval.count()) / 1000.0);
  w.field("memory_estimate_mb", std::round(bytes / (1024.0 * 1024.0) * 100.0) / 100.0);
  w.field("series", static_cast<uint64_t>(store.series_count()));
  w.field("ticks_skipped", monitor.sampler().ticks_skipped());
  w.key("collectors").begin_object();
  for (const CollectorHealth& h : health) {
    w.key(h.name).begin_object();
    w.field("plugin", h.plugin);
    w.field("up", h.up);
    w.field("last_error", h.last_error);
    w.key("last_error_at");
    if (h.last_error_at_ms)
      w.value(iso8601(h.last_error_at_ms));
    else
      w.null();
    w.field("status", h.status);
    w.field("duration_ms", h.duration_ms);
    w.field("consecutive_failures", static_cast<uint64_t>(h.consecutive_failures));
    w.field("effective_interval_seconds", static_cast<double>(h.effective_interval.count()) / 1000.0);
    w.field("runs", h.runs);
    w.field("failures", h.failures);
    w.end_object();
  }
  w.end_object();
  w.end_object();
  return out;
}

}  // namespace resync::server

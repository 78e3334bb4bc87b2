// SPDX-License-Identifier: MIT
#include "json_common.hpp"

#include <ctime>

#include "resync/views/json.hpp"

#ifndef RESYNC_VERSION
#define RESYNC_VERSION "0.0.0"
#endif

namespace resync::views {

const char* version() { return RESYNC_VERSION; }

std::string format_uptime(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  const int64_t days = seconds / 86400, hours = seconds % 86400 / 3600,
                minutes = seconds % 3600 / 60;
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

std::string format_iso8601(int64_t epoch_ms) {
  const std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace detail {

void write_alert(JsonWriter& w, const Alert& a) {
  w.begin_object();
  w.field("type", a.type);
  w.field("severity", to_string(a.severity));
  w.field("message", a.message);
  w.field("timestamp", format_iso8601(a.timestamp_ms));
  w.field("started_at", format_iso8601(a.started_at_ms));
  w.key("resolved_at");
  if (a.resolved_at_ms)
    w.value(format_iso8601(*a.resolved_at_ms));
  else
    w.null();
  w.field("instance", a.instance);
  w.field("value", a.value);
  w.field("active", a.active());
  w.field("rule", a.rule);
  w.field("state", to_string(a.state));
  w.field("absent", a.absent);
  w.field("threshold", a.threshold);
  w.end_object();
}

void write_alert_event(JsonWriter& w, const AlertEvent& e) {
  w.begin_object();
  w.field("sequence", e.sequence);
  w.field("state", to_string(e.state()));
  w.field("previous", to_string(e.previous));
  w.field("at", format_iso8601(e.at_ms));
  w.field("rule", e.alert.rule);
  w.field("type", e.alert.type);
  w.field("instance", e.alert.instance);
  w.field("severity", to_string(e.alert.severity));
  w.field("value", e.value);
  w.field("threshold", e.alert.threshold);
  w.field("absent", e.alert.absent);
  w.field("message", e.alert.message);
  w.field("started_at", format_iso8601(e.alert.started_at_ms));
  w.end_object();
}

}  // namespace detail
}  // namespace resync::views

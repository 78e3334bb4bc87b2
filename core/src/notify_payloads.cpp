// SPDX-License-Identifier: MIT
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>

#include "alert_target.hpp"
#include "resync/json_writer.hpp"
#include "resync/notify.hpp"

namespace resync {

std::string format_rfc3339_ms(int64_t epoch_ms) {
  const int64_t seconds = epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000;
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(epoch_ms - seconds * 1000));
  return buf;
}

std::string default_dashboard_url(const std::string& bind, bool tls) {
  const size_t colon = bind.rfind(':');
  std::string host = colon == std::string::npos ? bind : bind.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : bind.substr(colon);
  if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") {
    char name[256] = {};
    host = gethostname(name, sizeof name - 1) == 0 && name[0] ? name : "localhost";
  }
  return (tls ? "https://" : "http://") + host + port + "/monitoring";
}

std::string alertmanager_payload(const std::vector<Alert>& alerts, int64_t valid_until_ms,
                                 const std::string& generator_url) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  for (const Alert& a : alerts) {
    w.begin_object();
    w.key("labels").begin_object();
    w.field("alertname", a.rule.empty() ? a.type : a.rule);
    w.field("severity", to_string(a.severity));
    w.field("instance", a.instance);
    w.field("metric", a.type);
    w.end_object();
    w.key("annotations").begin_object();
    w.field("summary", a.message);
    w.field("value", std::isnan(a.value) ? std::string("none") : detail::format_number(a.value));
    w.field("state", to_string(a.state));
    w.end_object();
    w.field("startsAt", format_rfc3339_ms(a.started_at_ms));
    w.field("endsAt", format_rfc3339_ms(a.resolved_at_ms ? *a.resolved_at_ms : valid_until_ms));
    if (!generator_url.empty()) w.field("generatorURL", generator_url);
    w.end_object();
  }
  w.end_array();
  return out;
}

std::string webhook_payload(const AlertEvent& e, const std::string& dashboard_url) {
  const Alert& a = e.alert;
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("version", 1);
  w.field("sequence", e.sequence);
  w.field("state", to_string(a.state));
  w.field("previous", to_string(e.previous));
  w.field("at", format_rfc3339_ms(e.at_ms));
  w.field("rule", a.rule);
  w.field("metric", a.type);
  w.field("instance", a.instance);
  w.field("severity", to_string(a.severity));
  w.field("value", e.value);
  w.field("threshold", a.threshold);
  w.field("absent", a.absent);
  w.field("message", a.message);
  w.field("episode", a.id);
  w.field("started_at", format_rfc3339_ms(a.started_at_ms));
  w.key("resolved_at");
  if (a.resolved_at_ms)
    w.value(format_rfc3339_ms(*a.resolved_at_ms));
  else
    w.null();
  w.field("dashboard_url", dashboard_url);
  w.end_object();
  return out;
}

}  // namespace resync

// SPDX-License-Identifier: MIT
// Reading an older server's JSON documents back into the snapshot's plain data (remote_source.cpp).
#include "remote_json.hpp"

#include <cmath>
#include <cstdlib>
#include <ctime>

#include "resync/catalog.hpp"

namespace resync::cli::remote_json {

double number(const Object::Ptr& o, const std::string& key, double fallback) {
  if (!o || !o->has(key)) return fallback;
  const auto v = o->get(key);
  if (v.isEmpty()) return std::nan("");
  try {
    return v.convert<double>();
  } catch (const Poco::Exception&) {
    return fallback;
  }
}

std::string text(const Object::Ptr& o, const std::string& key) {
  if (!o || !o->has(key) || o->get(key).isEmpty()) return "";
  return o->get(key).toString();
}

// "2026-12-02T01:45:39Z" (format_iso8601) to epoch ms; 0 for anything else.
int64_t parse_iso8601(const std::string& s) {
  std::tm tm{};
  if (s.size() != 20 || !strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

int major_version(const std::string& version) { return std::atoi(version.c_str()); }

Alert read_alert(const Object::Ptr& a) {
  Alert alert;
  alert.type = text(a, "type");
  alert.instance = text(a, "instance");
  alert.severity = text(a, "severity") == "critical" ? Severity::kCritical : Severity::kWarning;
  alert.message = text(a, "message");
  alert.value = number(a, "value");
  alert.timestamp_ms = parse_iso8601(text(a, "timestamp"));
  alert.started_at_ms = parse_iso8601(text(a, "started_at"));
  const std::string resolved = text(a, "resolved_at");
  if (!resolved.empty()) alert.resolved_at_ms = parse_iso8601(resolved);
  return alert;
}

CollectorHealth read_health(const std::string& name, const Object::Ptr& h) {
  CollectorHealth health;
  health.name = name;
  health.plugin = text(h, "plugin");
  health.up = h->has("up") && h->get("up").convert<bool>();
  health.last_error = text(h, "last_error");
  health.last_error_at_ms = parse_iso8601(text(h, "last_error_at"));
  health.status = text(h, "status");
  health.duration_ms = number(h, "duration_ms");
  health.consecutive_failures = static_cast<uint32_t>(number(h, "consecutive_failures"));
  health.effective_interval =
      std::chrono::milliseconds(std::llround(number(h, "effective_interval_seconds") * 1000));
  health.runs = static_cast<uint64_t>(number(h, "runs"));
  health.failures = static_cast<uint64_t>(number(h, "failures"));
  // Absent from servers older than crash isolation: the defaults (in-process, 0) are what they did.
  if (h->has("isolation")) health.isolation = text(h, "isolation");
  health.restarts = static_cast<uint64_t>(number(h, "restarts"));
  return health;
}

// Series of a plugin this machine does not have, described from what /metrics says of it.
std::vector<SeriesDescription> describe_from_metrics(const util::PromParseResult& metrics,
                                                     const std::string& instance) {
  std::vector<SeriesDescription> out;
  for (const util::PromSample& s : metrics.samples) {
    const std::string* label = s.label("instance");
    if (!label || *label != instance || s.name.rfind("resync_mon_", 0) != 0) continue;
    SeriesDescription d(s.name.substr(11));
    auto type = metrics.types.find(s.name);
    if (type == metrics.types.end() && d.name.size() > 6)
      type = metrics.types.find(s.name.substr(0, s.name.size() - 6));
    if (type != metrics.types.end() && type->second == "counter") d.kind = Kind::kCounter;
    if (d.name.size() > 8 && d.name.compare(d.name.size() - 8, 8, "_seconds") == 0)
      d.unit = Unit::kSeconds;
    if (d.name.size() > 6 && d.name.compare(d.name.size() - 6, 6, "_bytes") == 0)
      d.unit = Unit::kBytes;
    out.push_back(std::move(d));
  }
  return out;
}

// Epoch seconds of /history back to the grid: exact when the interval is whole seconds; for a
// shorter interval the next grid point in that second, kept strictly increasing.
std::vector<int64_t> grid_times(const Array::Ptr& epoch, int64_t interval_ms) {
  std::vector<int64_t> out;
  for (size_t i = 0; epoch && i < epoch->size(); ++i) {
    const int64_t ms = epoch->get(i).convert<int64_t>() * 1000;
    int64_t t = (ms + interval_ms - 1) / interval_ms * interval_ms;
    if (!out.empty() && t <= out.back()) t = out.back() + interval_ms;
    out.push_back(t);
  }
  return out;
}

// The /history array at a dotted field path, or null.
Array::Ptr history_array(const Object::Ptr& doc, const std::string& field) {
  Object::Ptr o = doc;
  size_t start = 0;
  for (size_t dot = field.find('.'); dot != std::string::npos; dot = field.find('.', start)) {
    o = o->getObject(field.substr(start, dot - start));
    if (!o) return nullptr;
    start = dot + 1;
  }
  return o->getArray(field.substr(start));
}

}  // namespace resync::cli::remote_json

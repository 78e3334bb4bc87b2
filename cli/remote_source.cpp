// SPDX-License-Identifier: MIT
// A running `resync-mon serve` as a MonitorSnapshot, rebuilt from its JSON API and /metrics with
// nothing added to the server. What the API gives and what it cannot:
// - series and their descriptions: the collectors and plugins in /health, each plugin's declared
//   series read from the local plugin files (the same package as the server); a plugin missing
//   here is described from /metrics instead (name, kind; no unit, help or document fields);
// - the newest row: every series, from /metrics (values there are exact, ms series in seconds);
// - older rows: only the series /history shows one to one (a field of one metric's first
//   instance, not an increase); other series and other instances are missing (NaN) there;
// - timestamps: /history gives epoch seconds, exact for intervals that are whole seconds;
// - alerts (the newest 20, with `active`) and collector health as the server reports them.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <map>

#include "resync/catalog.hpp"
#include "resync/http/client.hpp"
#include "resync/plugins.hpp"
#include "resync/server/prometheus_text.hpp"
#include "resync/server/views.hpp"
#include "resync/util/prom_text.hpp"
#include "source.hpp"

namespace resync::cli {
namespace {

using Clock = std::chrono::steady_clock;
using Poco::JSON::Array;
using Poco::JSON::Object;

// A whole 1,000,000-sample window of /history is about 150 MB; every other document is small.
constexpr size_t kMaxHistoryBytes = 256u << 20;
constexpr size_t kMaxDocumentBytes = 16u << 20;
constexpr int kConsistentTries = 3;

std::string base_url(const std::string& url) {
  std::string base = url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

struct Fetcher {
  const SourceOptions& options;
  Clock::time_point deadline;
  std::string base;
  std::string password;

  std::string get(const std::string& path, size_t max_bytes) const {
    const std::string shown = http::display_url(base + path);
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      throw SourceError(
          shown + ": timed out after " + std::to_string(options.timeout.count()) + " ms",
          kExitSourceUnusable);
    }
    http::HttpOptions http;
    http.timeout = left;
    http.bearer_token = options.token;
    http.basic_user = options.user;
    http.basic_password = password;
    http.ca_file = options.ca_file;
    http.max_body_bytes = max_bytes;
    http::HttpResponse response;
    try {
      response = http::http_get(base + path, http);
    } catch (const http::HttpError& e) {
      if (e.kind() == http::HttpError::Kind::kTimeout) {
        throw SourceError(
            shown + ": timed out after " + std::to_string(options.timeout.count()) + " ms",
            kExitSourceUnusable);
      }
      throw SourceError(std::string(e.what()).substr(4), kExitSourceUnusable);  // drop "GET "
    } catch (const std::invalid_argument&) {
      throw SourceError(
          "--url " + http::display_url(options.url) + ": expected http://HOST:PORT or https://...",
          kExitUsage);
    }
    if (response.status == 401 || response.status == 403) {
      throw SourceError(shown + ": " + std::to_string(response.status) + " " + response.reason +
                            (options.token.empty() && options.user.empty()
                                 ? " (the server needs --token or RESYNC_MON_TOKEN, or --user with "
                                   "RESYNC_MON_PASSWORD)"
                                 : " (the server refused the credentials given)"),
                        kExitUnauthorized);
    }
    if (response.status != 200) {
      throw SourceError(shown + ": answered " + std::to_string(response.status) + " " +
                            response.reason + "; is it a resync-mon server?",
                        kExitSourceUnusable);
    }
    return std::move(response.body);
  }

  Object::Ptr get_json(const std::string& path, size_t max_bytes = kMaxDocumentBytes) const {
    const std::string body = get(path, max_bytes);
    try {
      // Key order matters: /health lists the collectors in configuration order.
      Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
      parser.setDepth(32);
      Object::Ptr doc = parser.parse(body).extract<Object::Ptr>();
      if (doc) return doc;
    } catch (const Poco::Exception& e) {
      throw SourceError(
          http::display_url(base + path) + ": not a JSON object (" + e.displayText() + ")",
          kExitSourceUnusable);
    } catch (const std::exception& e) {
      throw SourceError(http::display_url(base + path) + ": not a JSON object (" + e.what() + ")",
                        kExitSourceUnusable);
    }
    throw SourceError(http::display_url(base + path) + ": not a JSON object", kExitSourceUnusable);
  }
};

[[noreturn]] void wrong_shape(const Fetcher& f, const std::string& path, const std::string& what) {
  throw SourceError(http::display_url(f.base + path) + ": " + what + "; not a resync-mon server?",
                    kExitSourceUnusable);
}

double number(const Object::Ptr& o, const std::string& key, double fallback = 0) {
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

struct Documents {
  Object::Ptr current, health, history, alerts;
  util::PromParseResult metrics;
};

// The five documents of one and the same sample: each is rendered once per sample, so the
// set is consistent when /current shows the same sample before and after the others.
Documents fetch_consistent(const Fetcher& f) {
  for (int attempt = 1;; ++attempt) {
    Documents d;
    d.current = f.get_json("/api/monitoring/current");
    const std::string version = text(d.current, "version");
    if (version.empty() || !d.current->has("timestamp"))
      wrong_shape(f, "/api/monitoring/current", "no version or timestamp");
    if (major_version(version) != major_version(server::version())) {
      throw SourceError(http::display_url(f.base) + " runs resync-mon " + version +
                            "; this resync-mon " + server::version() +
                            " reads servers of major version " +
                            std::to_string(major_version(server::version())) + " only",
                        kExitSourceUnusable);
    }
    d.health = f.get_json("/api/monitoring/health");
    if (!d.health->getObject("collectors") || !d.health->has("sample_interval")) {
      wrong_shape(f, "/api/monitoring/health", "no collectors or sample_interval");
    }
    d.history = f.get_json("/api/monitoring/history", kMaxHistoryBytes);
    if (!d.history->getArray("epoch")) wrong_shape(f, "/api/monitoring/history", "no epoch array");
    d.alerts = f.get_json("/api/monitoring/alerts");
    if (!d.alerts->getArray("alerts")) wrong_shape(f, "/api/monitoring/alerts", "no alerts array");
    d.metrics = util::parse_prometheus_text(f.get("/metrics", kMaxDocumentBytes));
    const Object::Ptr after = f.get_json("/api/monitoring/current");
    if (text(after, "timestamp") == text(d.current, "timestamp") || attempt == kConsistentTries)
      return d;
  }
}

// The whole read shares one deadline, so a server slow at every step still ends at --timeout.
Fetcher make_fetcher(const SourceOptions& options) {
  Fetcher f{options, Clock::now() + options.timeout, base_url(options.url), options.password};
  if (!options.user.empty() && f.password.empty()) {
    const char* password = std::getenv("RESYNC_MON_PASSWORD");
    if (!password || !*password) {
      throw Error("--user " + options.user + ": set its password in RESYNC_MON_PASSWORD",
                  kExitUsage);
    }
    f.password = password;
  }
  return f;
}

}  // namespace

std::string fetch_document(const SourceOptions& options, const std::string& path) {
  const Fetcher f = make_fetcher(options);
  return f.get(
      path, path.rfind("/api/monitoring/history", 0) == 0 ? kMaxHistoryBytes : kMaxDocumentBytes);
}

namespace {

// The layout the server built: per collector, its plugin's series (described by the local plugin
// of that name, else from /metrics) then the host's. Fills the collectors' health and status
// fields into `snap`.
std::vector<SeriesKey> server_layout(const Fetcher& f, const Documents& d, const Config& config,
                                     MonitorSnapshot& snap) {
  std::map<std::string, PluginInfo> local;
  for (PluginInfo& p : discover_plugins(plugin_search_dirs(config.plugin_dir))) {
    if (p.error.empty()) local.emplace(p.name, std::move(p));
  }
  std::vector<SeriesKey> keys;
  const Object::Ptr collectors = d.health->getObject("collectors");
  for (const std::string& name : collectors->getNames()) {
    const Object::Ptr c = collectors->getObject(name);
    if (!c) wrong_shape(f, "/api/monitoring/health", "collector " + name + " is not an object");
    snap.health.push_back(read_health(name, c));
    const std::string plugin = snap.health.back().plugin;
    auto found = local.find(plugin);
    std::vector<SeriesDescription> series;
    if (found != local.end()) {
      series = found->second.series;
      if (!found->second.status_field.empty())
        snap.status_fields.emplace(plugin, found->second.status_field);
    } else {
      series = describe_from_metrics(d.metrics, name);
    }
    for (const SeriesDescription& s : series) keys.push_back({s.name, name, plugin, s});
    for (const SeriesDescription& s : host_series()) keys.push_back({s.name, name, plugin, s});
  }

  return keys;
}

// Older rows: fields that show exactly one series (one metric, its first instance, as is).
void fill_history(const Documents& d, const std::vector<SeriesKey>& keys, StoreSnapshot& store) {
  std::map<std::string, std::vector<size_t>> field_columns;
  std::vector<std::string> placed;
  for (size_t c = 0; c < keys.size(); ++c) {
    const std::string& field = keys[c].description.history_field;
    if (field.empty() || std::find(placed.begin(), placed.end(), keys[c].metric) != placed.end())
      continue;
    placed.push_back(keys[c].metric);
    field_columns[field].push_back(c);
  }
  for (const auto& [field, columns] : field_columns) {
    const size_t c = columns[0];
    if (columns.size() != 1 || (keys[c].description.flags & series_flags::kHistoryIncrease))
      continue;
    const Array::Ptr values = history_array(d.history, field);
    if (!values || values->size() != store.rows) continue;
    for (size_t r = 0; r < store.rows; ++r) {
      const auto v = values->get(r);
      store.values[c * store.rows + r] = v.isEmpty() ? std::nan("") : v.convert<double>();
    }
  }
}

// The newest row: every series from /metrics, when it is the same sample as /history's last.
void fill_newest(const Documents& d, const std::vector<SeriesKey>& keys, StoreSnapshot& store) {
  const bool same_sample =
      store.rows > 0 &&
      d.history->getArray("epoch")->get(store.rows - 1).toString() == text(d.current, "timestamp");
  if (same_sample) {
    std::map<std::pair<std::string, std::string>, double> newest;
    for (const util::PromSample& s : d.metrics.samples) {
      const std::string* label = s.label("instance");
      if (!label) label = s.label("collector");
      if (label) newest[{s.name, *label}] = s.value;
    }
    for (size_t c = 0; c < keys.size(); ++c) {
      // A series described from /metrics maps back to its own name: exposition_name() adds nothing.
      double scale = 1;
      const std::string name = server::exposition_name(keys[c].description, &scale);
      auto it = newest.find({name, keys[c].instance});
      if (it != newest.end()) store.values[c * store.rows + store.rows - 1] = it->second / scale;
    }
  }
}

void read_alerts(const Documents& d, MonitorSnapshot& snap) {
  const Array::Ptr alerts = d.alerts->getArray("alerts");
  for (size_t i = 0; i < alerts->size(); ++i) {
    const Object::Ptr a = alerts->getObject(static_cast<unsigned>(i));
    if (!a) continue;
    snap.alerts.push_back(read_alert(a));
    if (a->has("active") && a->get("active").convert<bool>())
      snap.active.push_back(snap.alerts.back());
  }
}

}  // namespace

MonitorSnapshot read_remote_source(const SourceOptions& options, const Config& config) {
  const Fetcher f = make_fetcher(options);
  const Documents d = fetch_consistent(f);

  MonitorSnapshot snap;
  snap.source = http::display_url(f.base);
  snap.taken_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  snap.started_at_ms = snap.taken_at_ms - std::llround(number(d.current, "uptime_seconds") * 1000);
  snap.interval = std::chrono::milliseconds(
      std::max<int64_t>(1, std::llround(number(d.health, "sample_interval") * 1000)));
  snap.window = std::chrono::milliseconds(std::llround(number(d.health, "history_window") * 1000));
  snap.capacity = static_cast<size_t>(number(d.health, "max_samples"));
  snap.rows_held = static_cast<uint64_t>(number(d.health, "samples_collected"));
  snap.ticks_skipped = static_cast<uint64_t>(number(d.health, "ticks_skipped"));
  snap.runs_started =
      static_cast<uint64_t>(number(d.current->getObject("system"), "correlation_ids"));

  std::vector<SeriesKey> keys = server_layout(f, d, config, snap);
  StoreSnapshot& store = snap.store;
  store.series_count = keys.size();
  store.timestamps_ms = grid_times(d.history->getArray("epoch"), snap.interval.count());
  store.rows = store.timestamps_ms.size();
  store.appended = snap.rows_held;
  store.values.assign(store.series_count * store.rows, std::nan(""));
  fill_history(d, keys, store);
  fill_newest(d, keys, store);
  read_alerts(d, snap);
  snap.series = std::make_shared<const std::vector<SeriesKey>>(std::move(keys));
  return snap;
}

}  // namespace resync::cli

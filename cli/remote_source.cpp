// SPDX-License-Identifier: MIT
// A running `resync-mon serve` as a MonitorSnapshot. A server that has /api/monitoring/window
// sends its whole window in the state file's format, so a --url reader sees exactly what a
// --state reader does. An older server's snapshot is rebuilt from its JSON API and /metrics;
// what that gives and what it cannot:
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
#include <optional>

#include "remote_json.hpp"
#include "resync/catalog.hpp"
#include "resync/http/client.hpp"
#include "resync/plugins.hpp"
#include "resync/state_file.hpp"
#include "resync/util/prom_text.hpp"
#include "resync/views/json.hpp"
#include "resync/views/prometheus_text.hpp"
#include "source.hpp"
#include "tls_probe.hpp"

namespace resync::cli {
namespace {

using namespace remote_json;

using Clock = std::chrono::steady_clock;
using Poco::JSON::Array;
using Poco::JSON::Object;

// A whole 1,000,000-sample window of /history is about 150 MB; every other document is small.
constexpr size_t kMaxHistoryBytes = 256u << 20;
constexpr size_t kMaxDocumentBytes = 16u << 20;
// The window in the state file's format: 8 B per value, about 350 MB for 43 series at the
// largest window of 1,000,000 samples; a server sending more is not one to trust.
constexpr size_t kMaxWindowBytes = 512u << 20;
constexpr const char* kWindowPath = "/api/monitoring/window";
constexpr int kConsistentTries = 3;

// The dashboard URL serve prints (http://host:port/monitoring) is what users copy: accept it.
std::string base_url(const std::string& url) {
  std::string base = url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  constexpr std::string_view kDashboard = "/monitoring";
  if (base.size() > kDashboard.size() &&
      base.compare(base.size() - kDashboard.size(), kDashboard.size(), kDashboard) == 0) {
    base.resize(base.size() - kDashboard.size());
  }
  return base;
}

struct Fetcher {
  const SourceOptions& options;
  Clock::time_point deadline;
  std::string base;
  std::string password;

  std::string get(const std::string& path, size_t max_bytes) const {
    std::optional<std::string> body = get_unless_missing(path, max_bytes);
    if (!body) {
      throw SourceError(
          http::display_url(base + path) + ": answered 404 Not Found; is it a resync-mon server?",
          kExitSourceUnusable);
    }
    return std::move(*body);
  }

  // The body of `path`, or nullopt when the server has no such document (404: an older server).
  std::optional<std::string> get_unless_missing(const std::string& path, size_t max_bytes) const {
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
    if (response.status == 404) return std::nullopt;
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
    if (major_version(version) != major_version(views::version())) {
      throw SourceError(http::display_url(f.base) + " runs resync-mon " + version +
                            "; this resync-mon " + views::version() +
                            " reads servers of major version " +
                            std::to_string(major_version(views::version())) + " only",
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
  refuse_plain_http(f.base, options.timeout);
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

// The whole window, exact, from a server that has /api/monitoring/window; nullopt from an older
// one.
std::optional<MonitorSnapshot> read_window(const Fetcher& f) {
  std::optional<std::string> bytes = f.get_unless_missing(kWindowPath, kMaxWindowBytes);
  if (!bytes) return std::nullopt;
  try {
    return to_snapshot(decode_state(*bytes), http::display_url(f.base));
  } catch (const StateFormatError& e) {
    throw SourceError(http::display_url(f.base + kWindowPath) + ": not a resync-mon window (" +
                          plain_state_reason(e.what()) + ")",
                      kExitSourceUnusable);
  }
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
  if (!same_sample) return;
  std::map<std::pair<std::string, std::string>, double> newest;
  for (const util::PromSample& s : d.metrics.samples) {
    const std::string* label = s.label("instance");
    if (!label) label = s.label("collector");
    if (label) newest[{s.name, *label}] = s.value;
  }
  for (size_t c = 0; c < keys.size(); ++c) {
    // A series described from /metrics maps back to its own name: exposition_name() adds nothing.
    double scale = 1;
    const std::string name = views::exposition_name(keys[c].description, &scale);
    auto it = newest.find({name, keys[c].instance});
    if (it != newest.end()) store.values[c * store.rows + store.rows - 1] = it->second / scale;
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
  if (std::optional<MonitorSnapshot> window = read_window(f)) return std::move(*window);
  // An older server, without /window: rebuilt from its JSON API.
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

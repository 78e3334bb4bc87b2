// SPDX-License-Identifier: MIT
// Monitor::reload(): a new configuration applied to a running monitor (SIGHUP).
#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "monitor_build.hpp"
#include "resync/error.hpp"
#include "resync/log.hpp"
#include "resync/monitor.hpp"

namespace resync {

// What reload() builds beside the running monitor and then swaps with it; after the swap it holds
// the old parts, destroyed once the lock is released (the sampler first: it refers to the rest).
struct Monitor::Core {
  Config config;
  std::vector<InstanceInfo> instances;
  std::shared_ptr<const SeriesLayout> layout, live_layout;
  std::shared_ptr<const std::vector<SeriesKey>> keys;
  std::shared_ptr<const std::vector<AlertRule>> rules;
  std::shared_ptr<const std::vector<std::string>> unconfigured;
  std::unique_ptr<RingBuffer> store;
  std::unique_ptr<AlertEngine> alerts;
  std::vector<double> previous_row;
  std::unique_ptr<Sampler> sampler;
};

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The settings of `server:` the running server was built around, named one by one so the warning
// says which (a `server.tls` added or removed, not just "server"); its per-request policies
// (auth, Host, CORS, Origin) and new TLS files are the server's to apply again (serve's
// reload_http_server()).
void name_server_changes(const ServerConfig& running, const ServerConfig& next,
                         ReloadReport& report) {
  auto check = [&](const char* name, bool same) {
    if (!same) report.needs_restart.push_back(std::string("server.") + name);
  };
  check("bind", next.bind == running.bind);
  check("max_ws_clients", next.max_ws_clients == running.max_ws_clients);
  check("threads", next.threads == running.threads);
  check("max_connections_per_client",
        next.max_connections_per_client == running.max_connections_per_client);
  check("request_timeout", next.request_timeout == running.request_timeout);
  // TLS on or off changes what the listening port speaks.
  check("tls", next.tls_cert_file.empty() == running.tls_cert_file.empty());
}

ServerConfig with_policies_of(ServerConfig running, const ServerConfig& next) {
  running.policies = next.policies;
  if (!running.tls_cert_file.empty() && !next.tls_cert_file.empty()) {
    running.tls_cert_file = next.tls_cert_file;
    running.tls_key_file = next.tls_key_file;
  }
  return running;
}

bool same_notify(const NotifyConfig& a, const NotifyConfig& b) {
  auto tie = [](const NotifierConfig& n) {
    return std::tie(n.kind, n.name, n.url, n.headers, n.timeout, n.retries, n.backoff,
                    n.max_backoff, n.queue, n.resend, n.ca_file, n.insecure);
  };
  if (a.dashboard_url != b.dashboard_url || a.notifiers.size() != b.notifiers.size()) return false;
  for (size_t i = 0; i < a.notifiers.size(); ++i) {
    if (tie(a.notifiers[i]) != tie(b.notifiers[i])) return false;
  }
  return true;
}

// Settings the running process was built around keep their value until a restart: the window's
// shape (interval, window) sizes the store, the state file is locked, the server is bound with its
// limits, and the notifiers hold queues of undelivered events.
void keep_restart_only(const Config& running, Config& next, ReloadReport& report) {
  auto keep = [&](auto& field, const auto& value, const char* name, bool same) {
    if (same) return;
    field = value;
    report.needs_restart.push_back(name);
  };
  keep(next.interval, running.interval, "interval", next.interval == running.interval);
  keep(next.window, running.window, "window", next.window == running.window);
  keep(next.state_file, running.state_file, "state_file", next.state_file == running.state_file);
  keep(next.state_save_interval, running.state_save_interval, "state_save_interval",
       next.state_save_interval == running.state_save_interval);
  name_server_changes(running.server, next.server, report);
  next.server = with_policies_of(running.server, next.server);
  keep(next.notify, running.notify, "notify", same_notify(next.notify, running.notify));
}

bool same_collector(const CollectorConfig& a, const CollectorConfig& b) {
  return a.name == b.name && a.plugin == b.plugin && a.options_json == b.options_json &&
         a.isolation == b.isolation && a.timeout == b.timeout;
}

void name_changes(const Config& running, const Config& next, ReloadReport& report) {
  for (const CollectorConfig& cc : next.collectors) {
    auto it = std::find_if(running.collectors.begin(), running.collectors.end(),
                           [&](const CollectorConfig& r) { return r.name == cc.name; });
    if (it == running.collectors.end())
      report.added.push_back(cc.name);
    else if (!same_collector(*it, cc))
      report.changed.push_back(cc.name);
  }
  for (const CollectorConfig& r : running.collectors) {
    auto it = std::find_if(next.collectors.begin(), next.collectors.end(),
                           [&](const CollectorConfig& cc) { return r.name == cc.name; });
    if (it == next.collectors.end()) report.removed.push_back(r.name);
  }
}

// A collector that could not be created again: it fails every run with the reason, visibly in
// /health, instead of leaving a reload half applied.
class BrokenCollector final : public Collector {
 public:
  explicit BrokenCollector(std::string error) : error_(std::move(error)) {}
  void collect(SampleSink&) override { throw CollectError(error_); }

 private:
  std::string error_;
};

// The live layout plus the series of `old` it lacks that still hold a value within `window` of
// the newest row (a removed collector's history, until it ages out of the window: readers of the
// state file cut by time too).
std::shared_ptr<const SeriesLayout> with_retired(const SeriesLayout& live, const SeriesLayout& old,
                                                 const StoreSnapshot& rows,
                                                 std::chrono::milliseconds window,
                                                 size_t& retired) {
  auto full = std::make_shared<SeriesLayout>(live);
  if (rows.rows == 0) return full;
  const int64_t since = rows.timestamps_ms.back() - window.count();
  const size_t first = static_cast<size_t>(
      std::upper_bound(rows.timestamps_ms.begin(), rows.timestamps_ms.end(), since) -
      rows.timestamps_ms.begin());
  for (size_t c = 0; c < old.size() && c < rows.series_count; ++c) {
    const SeriesKey& key = old.key(c);
    if (live.find(key.metric, key.instance)) continue;
    const double* column = rows.column(c);
    if (std::all_of(column + first, column + rows.rows, [](double v) { return std::isnan(v); }))
      continue;
    full->add(key);
    ++retired;
  }
  return full;
}

// For each column of `to`, the column of `from` holding the same (metric, instance), or SIZE_MAX.
std::vector<size_t> column_map(const SeriesLayout& from, const SeriesLayout& to) {
  std::vector<size_t> map(to.size(), SIZE_MAX);
  for (size_t c = 0; c < to.size(); ++c) {
    if (auto found = from.find(to.key(c).metric, to.key(c).instance)) map[c] = *found;
  }
  return map;
}

// A store of `map.size()` series holding `rows`, each column taken from the one `map` names.
std::unique_ptr<RingBuffer> copy_rows(const StoreSnapshot& rows, const std::vector<size_t>& map,
                                      size_t capacity) {
  auto store = std::make_unique<RingBuffer>(map.size(), capacity);
  std::vector<double> row(map.size());
  for (size_t r = 0; r < rows.rows; ++r) {
    for (size_t c = 0; c < map.size(); ++c) row[c] = map[c] == SIZE_MAX ? kNaN : rows.at(map[c], r);
    store->append(rows.timestamps_ms[r], row);
  }
  return store;
}

std::vector<double> remap(const std::vector<size_t>& map, const std::vector<double>& row) {
  std::vector<double> out(map.size(), kNaN);
  for (size_t c = 0; c < map.size(); ++c) {
    if (map[c] < row.size()) out[c] = row[map[c]];
  }
  return out;
}

// The collector `name` of `config` built again, or one that reports why it could not be.
std::unique_ptr<Collector> recreate(const Config& config, const std::string& name) {
  Config one = config;
  one.collectors.clear();
  for (const CollectorConfig& cc : config.collectors) {
    if (cc.name == name) one.collectors.push_back(cc);
  }
  try {
    detail::BuiltCollectors built = detail::build_collectors(one, nullptr);
    if (!built.entries.empty()) return std::move(built.entries.front().collector);
  } catch (const std::exception& e) {
    return std::make_unique<BrokenCollector>(std::string("not created again on reload: ") +
                                             e.what());
  }
  return std::make_unique<BrokenCollector>("not configured");
}

}  // namespace

ReloadReport Monitor::reload(Config next) {
  // Everything that can fail comes first, beside the running monitor, which it leaves untouched.
  require_resolved(next);
  ReloadReport report;
  keep_restart_only(config_, next, report);
  name_changes(config_, next, report);
  auto running_instance = [this](const CollectorConfig& cc) -> const InstanceInfo* {
    for (const CollectorConfig& r : config_.collectors) {
      if (!same_collector(r, cc)) continue;
      for (const InstanceInfo& i : instances_) {
        if (i.name == cc.name) return &i;
      }
    }
    return nullptr;
  };
  detail::BuiltCollectors built = detail::build_collectors(next, running_instance);
  Core core;
  core.instances = std::move(built.instances);
  auto live = std::make_shared<SeriesLayout>();
  for (const InstanceInfo& i : core.instances) detail::add_instance_series(*live, i);
  detail::check_rules(next, core.instances, *live);
  core.rules =
      std::make_shared<const std::vector<AlertRule>>(detail::rules_in_effect(next, core.instances));
  core.alerts = make_alerts(*core.rules, *live);
  core.live_layout = live;
  core.unconfigured =
      std::make_shared<const std::vector<std::string>>(std::move(built.unconfigured));
  report.rules = core.rules->size();

  // From here on nothing is refused. The sample in progress is stored first, so the window has
  // no gap, and nothing is appended while the rows are copied.
  if (running_) sampler_->stop_after_tick();
  const StoreSnapshot rows = store_->snapshot();
  core.layout = with_retired(*live, *layout_, rows, config_.window, report.retired_series);
  core.keys = std::make_shared<const std::vector<SeriesKey>>(core.layout->keys());
  const std::vector<size_t> map = column_map(*layout_, *core.layout);
  core.store = copy_rows(rows, map, capacity_);
  if (!previous_row_.empty()) core.previous_row = remap(map, previous_row_);
  try {
    core.alerts->restore_state(alerts_->save_state());
  } catch (const std::invalid_argument& e) {
    log_warning(std::string("reload: alert state not carried over (") + e.what() + ")");
  }
  core.config = std::move(next);
  std::vector<CollectorHealth> carried;
  std::vector<CollectorEntry> entries =
      take_collectors(std::move(built.entries), core.config, carried);
  core.sampler = make_sampler(std::move(entries), *core.live_layout, *core.store, core.config);
  for (const CollectorHealth& h : carried) core.sampler->carry_health(h);
  swap_in(core);
  // The state file is rewritten at once, so its journal continues with the new columns.
  if (state_ && running_) save_state();
  const int64_t last = rows.rows ? rows.timestamps_ms.back() : 0;
  // The server's documents (layout, /current for WebSocket clients) follow at once; before the
  // sampler starts, so listeners still run on one thread at a time.
  for (const Listener& l : listeners_) l(last);
  if (running_) sampler_->start(last ? last + interval_.count() : 0);
  return report;
}

// The collectors reload() reuses come from the running sampler (stopped by then) with their
// health; one still inside collect() past its deadline is created afresh instead.
std::vector<CollectorEntry> Monitor::take_collectors(std::vector<CollectorEntry> entries,
                                                     const Config& next,
                                                     std::vector<CollectorHealth>& carried) {
  std::vector<std::string> reused;
  for (const CollectorEntry& e : entries) {
    if (!e.collector) reused.push_back(e.name);
  }
  std::vector<Sampler::Released> released = sampler_->release_idle(reused);
  for (CollectorEntry& e : entries) {
    if (e.collector) continue;
    auto it = std::find_if(released.begin(), released.end(),
                           [&](const Sampler::Released& r) { return r.entry.name == e.name; });
    if (it != released.end()) {
      e.collector = std::move(it->entry.collector);
      carried.push_back(it->health);
    } else {
      e.collector = recreate(next, e.name);
    }
  }
  return entries;
}

void Monitor::swap_in(Core& core) {
  std::unique_lock lock(swap_mutex_);
  std::swap(config_, core.config);
  std::swap(instances_, core.instances);
  std::swap(layout_, core.layout);
  std::swap(live_layout_, core.live_layout);
  std::swap(keys_, core.keys);
  std::swap(rules_, core.rules);
  std::swap(unconfigured_, core.unconfigured);
  std::swap(store_, core.store);
  std::swap(alerts_, core.alerts);
  std::swap(previous_row_, core.previous_row);
  std::swap(sampler_, core.sampler);
  config_status_.source = config_.source;
  config_status_.loaded_at_ms = now_ms();
}

void Monitor::reload_applied() {
  std::unique_lock lock(swap_mutex_);
  ++config_status_.reloads;
}

void Monitor::reload_failed(const std::string& error) {
  std::unique_lock lock(swap_mutex_);
  ++config_status_.reload_failures;
  config_status_.last_reload_error = error;
  config_status_.last_reload_error_ms = now_ms();
}

}  // namespace resync

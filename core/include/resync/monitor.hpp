// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "resync/alert_engine.hpp"
#include "resync/config.hpp"
#include "resync/plugins.hpp"
#include "resync/ring_buffer.hpp"
#include "resync/sampler.hpp"
#include "resync/series.hpp"
#include "resync/snapshot.hpp"
#include "resync/state_file.hpp"

namespace resync {

/// One collector instance as configured.
struct InstanceInfo {
  std::string name;
  std::string plugin;
  std::vector<SeriesDescription> series;   ///< what its plugin may emit
  std::string status_field{};              ///< where /current shows its status text; "" for none
  std::vector<AlertRule> default_rules{};  ///< its plugin's default alert rules
};

/// What Monitor::reload() changed, for the log.
struct ReloadReport {
  std::vector<std::string> added, removed, changed;  ///< collector instance names
  size_t rules = 0;                                  ///< alert rules in effect after it
  /// Settings whose new value waits for a restart ("server", "interval"...); they keep their
  /// running value.
  std::vector<std::string> needs_restart;
  size_t retired_series = 0;  ///< series of removed collectors kept until they age out
};

/// The running core of one resync-mon process: the plugins and collectors a configuration
/// names, the series layout and store sized from them, the sampler and the alert engine.
///
/// Thread-safe: start()/stop()/reload() from the owning thread, and the accessors returning
/// references too (they change on reload()); snapshot(), interval(), capacity() from any thread.
/// Listeners run on the sampler thread after each sample's alerts are evaluated. Alert events go
/// to the configured notifiers, which deliver them from threads of their own once started.
class Monitor {
 public:
  using Listener = std::function<void(int64_t timestamp_ms)>;

  /// Loads every plugin and creates every collector of `config` (nothing is sampled yet).
  /// Throws PluginLoadError for a plugin that cannot be found or loaded and ConfigError for
  /// options a plugin rejects, both naming the file and the key.
  explicit Monitor(Config config);
  /// Builds the core around collectors the caller created instead of plugins (benchmarks, tests,
  /// embedding): `collectors[i]` runs as `instances[i]`, whose `series` list sizes the store, under
  /// the default deadline of min(2 s, interval). `config.collectors` is not used. Throws
  /// std::invalid_argument when the lists differ in length, a collector is null or a name repeats.
  Monitor(Config config, std::vector<InstanceInfo> instances,
          std::vector<std::unique_ptr<Collector>> collectors);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  /// Takes the configured state_file's lock (StateFile::claim()) if not yet held; nothing without
  /// a state_file. `serve` calls it before binding its port, so a second server on the same file
  /// fails on the lock (StateLockedError) rather than on the port.
  void claim_state_file();
  /// Claims and restores the configured state_file (samples, then alert state) into the store
  /// and the alert engine, saves it (starting its journal), then starts the notifiers and
  /// sampling. Throws StateLockedError when another server holds the file, ConfigError naming the
  /// file when its folder is not writable or it exists but cannot be read. Alert state that
  /// cannot be restored is logged and dropped.
  void start();
  /// Stops sampling and, if started, saves the state_file once more and releases its lock.
  void stop();
  /// Takes one sample stamped `grid_ms` synchronously; not while started.
  void sample_now(int64_t grid_ms);
  /// Applies a new configuration without losing the window, the alert state or the listeners
  /// (SIGHUP): collectors added, removed or changed, rules changed. Everything that can fail
  /// (plugins, their options, the rules) is built first; on failure it throws ConfigError or
  /// PluginLoadError and the running configuration stays. Then sampling stops after the sample
  /// in progress, the rows of the series that still exist are copied by (metric, instance), those
  /// of a removed collector kept (no new values) until a later reload finds them aged out, the
  /// alert state carried over by rule and instance, and sampling resumes on the same grid.
  /// Unchanged collectors keep running as they are (connections, counters, child process).
  /// Settings that need a restart (interval, window, state_file, plugin_dir, server, notify) keep
  /// their running value and are named in the report. Listeners are called once afterwards.
  ReloadReport reload(Config config);
  /// Counts a reload applied in full, once the caller's own part after reload() is done too (serve:
  /// the HTTP server's policies and certificate, the log), so that /health's `config.reloads`
  /// tells a script the whole reload took effect.
  void reload_applied();
  /// Counts a reload refused before reload() was reached (the file did not load), for /health.
  /// `error` must hold no secret.
  void reload_failed(const std::string& error);
  /// Register before start().
  void add_listener(Listener listener) { listeners_.push_back(std::move(listener)); }

  /// The HOST:PORT serve listens on once bound (port 0 resolved): without notify.dashboard_url,
  /// notifications link to the dashboard there. Before start().
  void set_listen_address(const std::string& host_port);
  /// What discovery did before this monitor was built, shown by /api/monitoring/health. Before
  /// start().
  void set_discovery(DiscoveryReport report) {
    auto shared = std::make_shared<const DiscoveryReport>(std::move(report));
    std::unique_lock lock(swap_mutex_);
    discovery_ = std::move(shared);
  }

  /// A consistent copy for the views: the newest `max_rows` rows, the alerts, the health and
  /// the series descriptions. Any thread.
  MonitorSnapshot snapshot(size_t max_rows = SIZE_MAX) const;

  const Config& config() const { return config_; }
  /// The sample interval and the rows of the window: never changed by reload(), any thread.
  std::chrono::milliseconds interval() const { return interval_; }
  size_t capacity() const { return capacity_; }
  const SeriesLayout& layout() const { return *layout_; }
  const RingBuffer& store() const { return *store_; }
  const Sampler& sampler() const { return *sampler_; }
  const AlertEngine& alerts() const { return *alerts_; }
  /// The rules in effect (effective_alert_rules(): `alerts:` or the defaults of the plugins).
  const std::vector<AlertRule>& rules() const { return alerts_->rules(); }
  /// The alert engine, for restoring its saved state before start().
  AlertEngine& alerts() { return *alerts_; }
  const std::vector<std::unique_ptr<Notifier>>& notifiers() const { return notifiers_; }
  const std::vector<InstanceInfo>& instances() const { return instances_; }
  std::chrono::system_clock::time_point started_at() const { return started_at_; }

 private:
  struct Core;  // what reload() builds and swaps in; monitor_reload.cpp
  void finish(std::vector<CollectorEntry> entries);  // instances_ complete: store, alerts, sampler
  std::unique_ptr<AlertEngine> make_alerts(const std::vector<AlertRule>& rules,
                                           const SeriesLayout& live_layout);
  std::unique_ptr<Sampler> make_sampler(std::vector<CollectorEntry> entries,
                                        const SeriesLayout& live_layout, RingBuffer& store,
                                        const Config& config);
  void swap_in(Core& core);
  std::vector<CollectorEntry> take_collectors(std::vector<CollectorEntry> entries,
                                              const Config& next,
                                              std::vector<CollectorHealth>& carried);
  void on_sample(int64_t timestamp_ms, const std::vector<double>& row);
  void restore_state();  // start(): the state file's samples and alert state
  void save_state();     // a snapshot and the alert engine's state

  Config config_;
  const std::chrono::milliseconds interval_;
  const size_t capacity_;
  // snapshot() reads under a shared lock what reload() swaps under an exclusive one; the sampler
  // thread reads without it, since reload() stops that thread before the swap.
  mutable std::shared_mutex swap_mutex_;
  std::vector<InstanceInfo> instances_;
  // layout_ = live_layout_ (the configured collectors' series) + series of removed collectors
  // kept until they age out, at the end, so a live column has the same index in both. Rules and
  // the sampler see the live one only.
  std::shared_ptr<const SeriesLayout> layout_, live_layout_;
  std::shared_ptr<const std::vector<SeriesKey>> keys_;   // layout_'s keys, shared with snapshots
  std::shared_ptr<const std::vector<AlertRule>> rules_;  // in effect, shared with snapshots
  std::shared_ptr<const std::vector<std::string>> unconfigured_;  // plugins found, not configured
  std::unique_ptr<RingBuffer> store_;
  std::unique_ptr<AlertEngine> alerts_;
  std::vector<std::unique_ptr<Notifier>> notifiers_;  // started and stopped with the sampler
  std::unique_ptr<Sampler> sampler_;
  std::vector<Listener> listeners_;
  std::vector<double> previous_row_;
  std::chrono::system_clock::time_point started_at_;
  std::shared_ptr<const DiscoveryReport> discovery_;  // null until set_discovery()
  std::unique_ptr<StateFile> state_;                  // null when no state_file is configured
  bool running_ = false;                              // between start() and stop()
  ConfigStatus config_status_;                        // guarded by swap_mutex_
};

}  // namespace resync

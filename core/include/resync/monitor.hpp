// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
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

/// The running core of one resync-mon process: the plugins and collectors a configuration
/// names, the series layout and store sized from them, the sampler and the alert engine.
///
/// Thread-safe: start()/stop() from the owning thread; the const accessors from any thread.
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
  /// Register before start().
  void add_listener(Listener listener) { listeners_.push_back(std::move(listener)); }

  /// The HOST:PORT serve listens on once bound (port 0 resolved): without notify.dashboard_url,
  /// notifications link to the dashboard there. Before start().
  void set_listen_address(const std::string& host_port);
  /// What discovery did before this monitor was built, shown by /api/monitoring/health. Before
  /// start().
  void set_discovery(DiscoveryReport report) {
    discovery_ = std::make_shared<const DiscoveryReport>(std::move(report));
  }

  /// A consistent copy for the views: the newest `max_rows` rows, the alerts, the health and
  /// the series descriptions. Any thread.
  MonitorSnapshot snapshot(size_t max_rows = SIZE_MAX) const;

  const Config& config() const { return config_; }
  const SeriesLayout& layout() const { return layout_; }
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
  void add_instance(InstanceInfo info);
  void finish(std::vector<CollectorEntry> entries);  // layout_ complete: store, alerts, sampler
  void check_rules() const;
  std::string known_series(
      const std::string& instance = "") const;  // "; known: a, b" for rule errors
  void on_sample(int64_t timestamp_ms, const std::vector<double>& row);
  void restore_state();  // start(): the state file's samples and alert state
  void save_state();     // a snapshot and the alert engine's state

  Config config_;
  std::vector<InstanceInfo> instances_;
  SeriesLayout layout_;
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
};

}  // namespace resync

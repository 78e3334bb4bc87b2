// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "resync/alert_engine.hpp"
#include "resync/notify.hpp"
#include "resync/ring_buffer.hpp"
#include "resync/sampler.hpp"
#include "resync/series.hpp"

namespace resync {

/// What serve's discovery did at start (SPEC 8 `discover`), for /api/monitoring/health: the
/// collectors it enabled and the ones that need credentials, each with the configuration line to
/// add. Plain data, set once before sampling starts.
struct DiscoveryReport {
  bool ran = false;
  int64_t elapsed_ms = 0;
  std::vector<std::string> enabled;  ///< "Redis on 127.0.0.1:6379"
  struct Pending {
    std::string what;    ///< "HTTPS on 127.0.0.1:31116 (HCL Workload Automation's port; ...)"
    std::string how;     ///< what to set first ("set TWS_USER, TWS_PASSWORD ... ")
    std::string config;  ///< the `collectors:` entry to add, with ${ENV} for the secrets
  };
  std::vector<Pending> needs_credentials;
};

/// Where the configuration in effect came from and how its reloads went, for
/// /api/monitoring/health.
struct ConfigStatus {
  std::string source;             ///< the file, or "<embedded default>"
  int64_t loaded_at_ms = 0;       ///< when the configuration in effect was applied; 0 if unknown
  uint64_t reloads = 0;           ///< reloads applied
  uint64_t reload_failures = 0;   ///< reloads refused (the running configuration stayed)
  std::string last_reload_error;  ///< the newest refusal, without secrets; "" if none
  int64_t last_reload_error_ms = 0;
};

/// A consistent copy of everything a view needs: values, history, alerts, collector health and
/// series descriptions. Plain data with no reference to where it came from, so a live Monitor, a
/// state file and a remote server can each become one and every view renders all three.
struct MonitorSnapshot {
  std::string source = "live";  ///< "live", a state file's path or a server's URL, for reports
  int64_t taken_at_ms = 0;      ///< wall clock when the copy was taken
  int64_t started_at_ms = 0;    ///< when the monitor started, for uptime; 0 if unknown
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds window{std::chrono::hours{2}};
  size_t capacity = 0;  ///< rows the window holds when full

  /// One entry per column of `store`, with its description. Shared: a monitor's layout changes
  /// only on reload, so the snapshots between two reloads point at the same list.
  std::shared_ptr<const std::vector<SeriesKey>> series;
  /// The alert rules in effect, for the thresholds the screens draw; null when unknown. Shared,
  /// like `series`: a monitor's rules change only on reload.
  std::shared_ptr<const std::vector<AlertRule>> rules;
  /// Plugins found in the plugin folders but not configured, for the screens' "not configured"
  /// line; null when unknown.
  std::shared_ptr<const std::vector<std::string>> unconfigured_plugins;
  /// Plugin name -> the /current field showing its collectors' status text ("section.status").
  std::map<std::string, std::string> status_fields;

  StoreSnapshot store;             ///< the newest rows asked for, oldest first
  uint64_t rows_held = 0;          ///< rows the source held (store may hold fewer)
  std::vector<Alert> alerts;       ///< the most recent alerts, newest first
  std::vector<Alert> active;       ///< alerts firing or flapping now, newest first
  std::vector<Alert> current;      ///< pending, firing and flapping alerts, newest first
  std::vector<AlertEvent> events;  ///< the most recent transitions, newest first
  std::vector<NotifierHealth>
      notifiers;                        ///< delivery state of each notifier, in configuration order
  std::vector<CollectorHealth> health;  ///< one per collector instance, in configuration order
  uint64_t runs_started = 0;            ///< collector runs started (the original "correlation_ids")
  uint64_t ticks_skipped = 0;
  /// serve's discovery at start; null when the source has none (a state file, a remote server).
  std::shared_ptr<const DiscoveryReport> discovery;
  /// A live monitor's configuration and reloads; source empty when the snapshot has none.
  ConfigStatus config;

  const std::vector<SeriesKey>& keys() const {
    static const std::vector<SeriesKey> kNone;
    return series ? *series : kNone;
  }
};

}  // namespace resync

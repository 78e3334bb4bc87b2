// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "resync/config.hpp"
#include "resync/snapshot.hpp"

/// `resync-mon discover` and serve's discovery on the embedded default: what runs on this host's
/// loopback that resync-mon can watch, found within a fixed time.
namespace resync::cli {

/// Where discovery looks. Loopback only: every probe goes to 127.0.0.1.
struct DiscoveryTargets {
  std::vector<uint16_t> redis_ports{6379};
  /// Prometheus text endpoints; Resync's uvicorn port first.
  std::vector<uint16_t> http_ports{8000, 8080, 8001, 5000, 3000, 8081};
  std::vector<std::string> access_logs{"/var/log/nginx/access.log", "/var/log/apache2/access.log",
                                       "/var/log/httpd/access_log"};
  std::vector<uint16_t> tws_ports{31116};
  /// The whole discovery, every probe included, ends within this.
  std::chrono::milliseconds deadline{1000};

  /// The defaults, with what RESYNC_MON_DISCOVER overrides. Tests (and an operator whose
  /// services sit on other ports) set it to `redis=6380;http=18000,18080;logs=/x.log;tws=31117`
  /// (each part optional; an empty list turns that probe off). Throws ConfigError for a bad value.
  static DiscoveryTargets from_environment();
};

/// One thing discovery found.
struct Finding {
  std::string what;                ///< "Redis on 127.0.0.1:6379", for the log and the comment
  std::string plugin;              ///< the collector that would watch it
  std::string yaml;                ///< the `collectors:` entry, one YAML flow mapping
  bool needs_credentials = false;  ///< the entry is printed commented out, with `how`
  std::string how;                 ///< for needs_credentials: what to set before uncommenting
};

struct DiscoveryResult {
  std::vector<Finding> findings;
  std::chrono::milliseconds elapsed{0};
};

/// Probes every target in parallel and returns within targets.deadline (plus thread start-up).
/// Never throws: a target that does not answer, or answers something else, is not found.
/// `skip_http_port` is left out of the HTTP probes (serve's own port).
DiscoveryResult discover(const DiscoveryTargets& targets, uint16_t skip_http_port = 0);

/// A complete configuration, commented, with every finding that needs no credentials enabled
/// and the others commented out with what to set: it passes `config check` as written.
std::string render_discovered_config(const DiscoveryResult& result,
                                     const DiscoveryTargets& targets);

/// serve's discovery: when `config.discover` is set, adds a collector for every finding that
/// needs no credentials and whose plugin the configuration does not already use, and returns
/// the report for /api/monitoring/health and log_discovery().
/// Throws ConfigError only if a discovered entry fails validation (a bug, not a user error).
DiscoveryReport apply_discovery(Config& config, const DiscoveryTargets& targets);

/// Logs what discovery enabled and, one warning each, what needs credentials with the line to
/// add. serve calls it after its "dashboard at" line, which scripts read as the first line.
void log_discovery(const DiscoveryReport& report);

}  // namespace resync::cli

// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nagios_range.hpp"
#include "resync/alert_engine.hpp"
#include "resync/snapshot.hpp"

/// The verdict of `resync-mon check`, in the Monitoring Plugins convention, from a snapshot.
namespace resync::cli {

struct CheckOptions {
  std::string metric;                   ///< --metric: judge this metric instead of the rules
  std::optional<NagiosRange> warning;   ///< -w
  std::optional<NagiosRange> critical;  ///< -c
  /// Oldest newest-sample accepted; 0 = three intervals of the source.
  std::chrono::milliseconds max_age{0};
};

/// Where the alerts of the rules mode come from.
enum class AlertSource {
  kReplay,          ///< run `rules` over every row with the AlertEngine, as serve did (state file)
  kReplayNoFor,     ///< the same with every `for` taken as 0: two local samples cannot hold one
  kSnapshotActive,  ///< the alerts active in the snapshot: the server's own verdict (--url)
};

struct CheckResult {
  int status = 3;    ///< 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
  std::string line;  ///< "RESYNC-MON OK - <reason> | <perfdata>", no newline
};

/// Judges the newest sample of `snap` at wall time `now_ms`: UNKNOWN when there is none or it is
/// older than the maximum age; with options.metric, each instance of the metric against -w/-c
/// (UNKNOWN for an unknown metric or a missing value); else the worst active alert of `rules`
/// (as `alerts` says where alerts come from), and WARNING for a collector down in that sample.
/// Perfdata lists every value judged.
CheckResult evaluate_check(const MonitorSnapshot& snap, const std::vector<AlertRule>& rules,
                           AlertSource alerts, const CheckOptions& options, int64_t now_ms);

/// The status line for a check that could not judge anything: "RESYNC-MON UNKNOWN - <why>".
CheckResult unknown_result(const std::string& why);

}  // namespace resync::cli

// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "resync/alert_engine.hpp"

namespace resync::views::detail {

/// How one metric appears in /metrics.
struct ExportedSeries {
  std::string name;   ///< "resync_mon_response_time_p95_seconds"
  double scale = 1;   ///< stored value x scale = exported value (ms -> s)
  bool host = false;  ///< a host series, labelled collector="<instance>" instead of instance=
  std::string unit;   ///< " %", " s" or "": the exported unit, as messages show it
};

/// The PromQL of one resync-mon rule. Every expression yields series labelled `instance` (plus
/// any target label other than `job`), like the alerts resync-mon sends, and follows the engine:
/// the most severe condition wins, a clear level holds the alert until the value reaches it, a
/// missing value (NaN) neither fires nor resolves, a guard's unknown increase changes nothing.
struct RuleExpressions {
  const AlertRule& rule;
  ExportedSeries value;
  std::vector<ExportedSeries> guard;   ///< rule.guard's counters, in order
  std::vector<std::string> instances;  ///< the instances the rule applies to
  std::chrono::milliseconds interval{5000};

  /// The alerting rule of severity `s` (one the rule has a condition of).
  std::string severity(Severity s) const;
  /// The condition of `absent_for`: every value NaN, or no series at all, over `window`; its
  /// value is -Inf.
  std::string absent(std::chrono::milliseconds window) const;
  /// `V` of the rule's metric: the instance filter applied, `job` aggregated away.
  std::string leaf(const ExportedSeries& s, const std::string& function = "",
                   const std::string& range = "") const;

 private:
  std::string conditions(Severity s) const;
  std::string alerts_of(Severity s) const;
  std::string guard_sum() const;
  std::string level(Severity s) const;
  std::string at_level(Severity s) const;
};

/// `text` with every line indented by two spaces.
std::string indent(const std::string& text);

/// A threshold as PromQL reads it: the shortest text that reads back as `v`.
std::string promql_number(double v);

}  // namespace resync::views::detail

// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "resync/series.hpp"

namespace resync {

enum class Severity { kWarning, kCritical };
const char* to_string(Severity s);

enum class Comparison { kAbove, kAtLeast, kBelow, kAtMost, kEquals };
/// The config key of a comparison: "above", "at_least", "below", "at_most", "equals".
const char* to_string(Comparison c);
/// The operator of a comparison: ">", ">=", "<", "<=", "==".
const char* to_symbol(Comparison c);

/// One threshold of a rule: `metric <comparison> threshold` means `severity`.
struct AlertCondition {
  Severity severity;
  Comparison comparison;
  double threshold;
};

/// The rule applies only when the listed counters together grew by more than `min_increase`
/// since the previous sample (a hit ratio over three lookups means nothing).
struct AlertGuard {
  std::vector<std::string> metrics;
  double min_increase = 0;
};

/// A threshold rule on one metric, evaluated on every instance that has the metric.
struct AlertRule {
  std::string metric;
  std::vector<AlertCondition> conditions;  ///< the most severe true condition wins
  std::optional<AlertGuard> guard;
  std::chrono::milliseconds for_duration{0};  ///< condition must hold this long before firing
  int line = 0;          ///< where the rule was written, for errors; 0 for a built-in rule
  std::string key_path{};  ///< "alerts[2]", for errors
};

/// The rules of SPEC section 6, reproducing the original dashboard.
std::vector<AlertRule> default_alert_rules();

/// One alert episode.
struct Alert {
  std::string type;      ///< the rule's metric, e.g. "error_rate"
  std::string instance;  ///< collector instance the value came from
  Severity severity = Severity::kWarning;
  std::string message;
  double value = 0;                       ///< value that fired it
  int64_t timestamp_ms = 0;               ///< when it fired
  int64_t started_at_ms = 0;              ///< when the condition first held (before `for`)
  std::optional<int64_t> resolved_at_ms;  ///< when it cleared; empty while active
  bool active() const { return !resolved_at_ms; }
};

/// Evaluates rules on each sample. An alert fires once per episode (no duplicate while the
/// condition holds), resolves when it clears, and a change of severity resolves the old
/// episode and fires a new one. Keeps the newest `keep` alerts.
///
/// Thread-safe: evaluate() from the sampler thread; recent()/active() from any thread.
class AlertEngine {
 public:
  /// Called on the evaluating thread for each alert fired or resolved (e.g. a webhook).
  using Listener = std::function<void(const Alert&)>;

  AlertEngine(std::vector<AlertRule> rules, const SeriesLayout& layout, size_t keep = 20);

  /// Evaluates every rule on `row` (one value per layout column); `previous` is the row before
  /// it or nullptr. Returns the alerts fired or resolved by this sample.
  std::vector<Alert> evaluate(int64_t timestamp_ms, const double* row, const double* previous);

  /// Newest first, at most `n`.
  std::vector<Alert> recent(size_t n = SIZE_MAX) const;
  std::vector<Alert> active() const;
  void set_listener(Listener listener) { listener_ = std::move(listener); }
  const std::vector<AlertRule>& rules() const { return rules_; }

 private:
  struct Target {  // one rule applied to one instance
    size_t rule;
    size_t column;
    std::string instance;
    std::vector<size_t> guard_columns;
    std::optional<Severity> pending;  // condition holding, waiting for `for`
    int64_t pending_since_ms = 0;
    std::optional<Alert> firing;  // the active episode; also in history_ until it ages out
    size_t firing_id = 0;
    std::string unit{};  // " %", " ms" or "" in messages, from the series' description
  };

  std::vector<AlertRule> rules_;
  std::vector<Target> targets_;
  size_t keep_;
  Listener listener_;
  mutable std::mutex mutex_;
  std::deque<std::pair<size_t, Alert>> history_;  // (id, alert), newest at the back
  size_t next_id_ = 1;
};

}  // namespace resync

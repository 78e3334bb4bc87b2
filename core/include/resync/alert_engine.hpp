// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
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

/// Nagios-style flap detection: the weighted share of state changes over the last 21
/// evaluations; flapping starts at `high` percent or more and ends below `low`.
struct FlapDetection {
  double high = 30;  ///< Nagios' default high_service_flap_threshold
  double low = 20;   ///< Nagios' default low_service_flap_threshold
};

/// A threshold rule on one metric, evaluated on every instance that has the metric or on the
/// one instance named. Every field besides `metric` and `conditions` is optional.
struct AlertRule {
  std::string metric;
  std::vector<AlertCondition> conditions;  ///< the most severe true condition wins
  std::optional<AlertGuard> guard;
  std::chrono::milliseconds for_duration{0};  ///< condition must hold this long before firing
  int line = 0;            ///< where the rule was written, for errors; 0 for a built-in rule
  std::string key_path{};  ///< "alerts[2]", for errors
  std::string instance{};  ///< only this collector instance; "" = every instance with the metric
  std::string name{};      ///< alert name (Alertmanager's alertname); "" = the metric
  /// Level to resolve at, per severity (index: Severity): an active alert of that severity stays
  /// until the value is at or past it, on the good side of the threshold (hysteresis).
  std::array<std::optional<double>, 2> clear{};
  std::chrono::milliseconds keep_firing_for{0};  ///< stays firing this long after clearing
  std::chrono::milliseconds absent_for{0};       ///< no value this long fires; 0 = off
  Severity absent_severity = Severity::kWarning;
  std::optional<FlapDetection> flapping{};  ///< off when empty
  int instance_line = 0;                    ///< line of `instance`, for errors

  /// The alert name: `name`, or the metric when unnamed.
  const std::string& alert_name() const { return name.empty() ? metric : name; }
};

/// The host's own default rules, on its own series: collector_up == 0 for one minute (warning).
/// The plugins declare the rest (PluginInfo::default_rules).
std::vector<AlertRule> host_alert_rules();

/// One line for humans: "queue_depth > 100 warning (clear 80), >= 500 critical; for 30s;
/// flapping 30/20 %; guard enqueued + dequeued > 100".
std::string describe(const AlertRule& rule);

/// Where one rule stands on one instance. kResolved only appears on alerts that ended.
enum class AlertState { kInactive, kPending, kFiring, kFlapping, kResolved };
/// "inactive", "pending", "firing", "flapping", "resolved".
const char* to_string(AlertState s);

/// One alert episode: from pending or firing to resolved.
struct Alert {
  std::string type;      ///< the rule's metric, e.g. "queue_depth"
  std::string instance;  ///< collector instance the value came from
  Severity severity = Severity::kWarning;
  std::string message;
  double value = 0;                       ///< value that fired it; NaN for an absent series
  int64_t timestamp_ms = 0;               ///< when it fired (or became pending or flapping)
  int64_t started_at_ms = 0;              ///< when the condition first held (before `for`)
  std::optional<int64_t> resolved_at_ms;  ///< when it cleared; empty while active
  std::string rule{};                     ///< the rule's alert name
  AlertState state = AlertState::kFiring;
  bool absent = false;   ///< fired by `absent_for`, not by a threshold
  double threshold = 0;  ///< the level crossed; NaN for absent and flapping alerts
  uint64_t id = 0;       ///< episode number, unique within one engine's life and its saved state

  /// Firing or flapping and not resolved: an alert someone is told about. Pending alerts are not
  /// active yet.
  bool active() const {
    return !resolved_at_ms && (state == AlertState::kFiring || state == AlertState::kFlapping);
  }
};

/// One transition of an episode: to pending, firing, flapping or resolved. `alert` is the episode
/// as it is after the transition.
struct AlertEvent {
  uint64_t sequence = 0;  ///< increases by one per event, across restarts (saved state)
  AlertState previous = AlertState::kInactive;
  int64_t at_ms = 0;
  double value = 0;  ///< the value at the transition; NaN when missing
  Alert alert;
  AlertState state() const { return alert.state; }
};

/// Evaluates rules on each sample, one state machine per rule and instance:
/// inactive -> pending (while `for` runs) -> firing -> resolved, with flapping in between when
/// enabled. A missing value (NaN) never resolves or advances an alert; `absent_for` fires when it
/// lasts. A change of severity resolves the old episode and fires a new one. Keeps the newest
/// `keep` episodes that fired and the newest `keep` events.
///
/// Thread-safe: evaluate() from the sampler thread; the readers and state functions from any
/// thread.
class AlertEngine {
 public:
  /// Called on the evaluating thread, outside the engine's lock, for each transition; must not
  /// block (notifiers only queue).
  using Listener = std::function<void(const AlertEvent&)>;

  AlertEngine(std::vector<AlertRule> rules, const SeriesLayout& layout, size_t keep = 20);
  ~AlertEngine();
  AlertEngine(const AlertEngine&) = delete;
  AlertEngine& operator=(const AlertEngine&) = delete;

  /// Evaluates every rule on `row` (one value per layout column); `previous` is the row before
  /// it or nullptr. Returns the transitions of this sample, in order.
  std::vector<AlertEvent> evaluate(int64_t timestamp_ms, const double* row, const double* previous);

  /// Episodes that fired, newest first, at most `n`.
  std::vector<Alert> recent(size_t n = SIZE_MAX) const;
  /// Firing and flapping alerts, newest first.
  std::vector<Alert> active() const;
  /// Pending, firing and flapping alerts, newest first.
  std::vector<Alert> current() const;
  /// Transitions, newest first, at most `n`.
  std::vector<AlertEvent> events(size_t n = SIZE_MAX) const;
  void set_listener(Listener listener) { listener_ = std::move(listener); }
  const std::vector<AlertRule>& rules() const { return rules_; }

  /// The per-rule and per-instance state (episodes, timers, flap history, what was announced)
  /// plus the recent episodes and events, as an opaque versioned blob with a checksum, at most
  /// kMaxStateBytes. Restoring it after a restart neither forgets an active alert nor announces
  /// it again.
  std::string save_state() const;
  /// Restores what save_state() wrote, matching rules by name, metric and instance filter and
  /// instances by name; state of rules or instances no longer configured is dropped. Emits no
  /// events. Meant for start-up, before the first evaluate(). Throws std::invalid_argument,
  /// changing nothing, for a blob that is truncated, too large, of another version or whose
  /// checksum does not match.
  void restore_state(std::string_view blob);
  static constexpr size_t kMaxStateBytes = 4 * 1024 * 1024;

 private:
  struct Target;  // one rule on one instance; core/src/alert_target.hpp
  void step(Target& t, int64_t now, const double* row, const double* previous,
            std::vector<AlertEvent>& out);
  bool step_flapping(Target& t, int64_t now, double value, int level, std::vector<AlertEvent>& out);
  void step_missing(Target& t, int64_t now, std::vector<AlertEvent>& out);
  void open(Target& t, int64_t now, int level, double value, AlertState state, bool absent,
            std::vector<AlertEvent>& out);
  void transition(Target& t, AlertState to, int64_t now, double value,
                  std::vector<AlertEvent>& out);

  std::vector<AlertRule> rules_;
  std::vector<Target> targets_;
  size_t keep_;
  Listener listener_;
  mutable std::mutex mutex_;
  std::deque<Alert> history_;      // episodes that fired, newest at the back
  std::deque<AlertEvent> events_;  // newest at the back
  uint64_t next_id_ = 1;
  uint64_t next_sequence_ = 1;
};

}  // namespace resync

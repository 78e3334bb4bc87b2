// SPDX-License-Identifier: MIT
#include "resync/alert_engine.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "alert_target.hpp"
#include "resync/util/duration.hpp"
#include "resync/util/rate.hpp"

namespace resync {
namespace {

using detail::kNever;
using detail::level_of;
using detail::severity_of;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

AlertEngine::AlertEngine(std::vector<AlertRule> rules, const SeriesLayout& layout, size_t keep)
    : rules_(std::move(rules)), keep_(keep) {
  for (size_t r = 0; r < rules_.size(); ++r) {
    const AlertRule& rule = rules_[r];
    std::vector<size_t> columns;
    if (rule.instance.empty()) {
      columns = layout.find_all(rule.metric);
    } else if (auto c = layout.find(rule.metric, rule.instance)) {
      columns.push_back(*c);
    }
    for (size_t column : columns) {
      Target t;
      t.rule = r;
      t.column = column;
      t.instance = layout.key(column).instance;
      const std::string_view symbol = unit_symbol(layout.key(column).description.unit);
      if (!symbol.empty()) t.unit = " " + std::string(symbol);
      if (rule.guard) {
        for (const std::string& m : rule.guard->metrics) {
          if (auto c = layout.find(m, t.instance)) t.guard_columns.push_back(*c);
        }
      }
      targets_.push_back(std::move(t));
    }
  }
}

AlertEngine::~AlertEngine() = default;

std::vector<AlertEvent> AlertEngine::evaluate(int64_t timestamp_ms, const double* row,
                                              const double* previous) {
  std::vector<AlertEvent> events;
  std::unique_lock lock(mutex_);
  for (Target& t : targets_) step(t, timestamp_ms, row, previous, events);
  lock.unlock();
  if (listener_) {
    for (const AlertEvent& e : events) listener_(e);
  }
  return events;
}

void AlertEngine::step(Target& t, int64_t now, const double* row, const double* previous,
                       std::vector<AlertEvent>& out) {
  const AlertRule& rule = rules_[t.rule];
  const double value = row[t.column];
  if (std::isnan(value)) {
    step_missing(t, now, out);
    return;
  }
  t.missing_since = kNever;
  if (t.alert.absent && t.state != AlertState::kInactive)
    transition(t, AlertState::kResolved, now, value, out);

  bool guard_ok = true;
  if (rule.guard) {
    double increase = 0;
    for (size_t c : t.guard_columns)
      increase += previous ? counter_increase(previous[c], row[c]) : kNaN;
    // No previous row or a missing counter says nothing about traffic: like a missing value,
    // that neither fires nor resolves. Counters this instance does not have never allow the rule.
    if (std::isnan(increase)) return;
    guard_ok = !t.guard_columns.empty() && increase > rule.guard->min_increase;
  }
  const int level = guard_ok ? detail::condition_level(rule, value, t.last_level) : 0;
  t.last_level = level;
  if (rule.flapping && step_flapping(t, now, value, level, out)) return;

  switch (t.state) {
    case AlertState::kInactive:
      if (level > 0) {
        open(t, now, level, value,
             rule.for_duration.count() > 0 ? AlertState::kPending : AlertState::kFiring, false,
             out);
      }
      break;
    case AlertState::kPending:
      if (level == 0) {
        transition(t, AlertState::kResolved, now, value, out);
        break;
      }
      if (level != level_of(t.alert.severity)) {
        // Another severity starts its own `for`, as a separate Prometheus rule would.
        const AlertCondition* c = detail::condition_for(rule, level);
        t.alert.severity = severity_of(level);
        t.alert.started_at_ms = now;
        t.alert.threshold = c ? c->threshold : kNaN;
      }
      if (now - t.alert.started_at_ms >= rule.for_duration.count())
        transition(t, AlertState::kFiring, now, value, out);
      break;
    case AlertState::kFiring: {
      const int firing = level_of(t.alert.severity);
      if (level == firing) {
        t.clear_since = kNever;
        t.next_level = -1;
        break;
      }
      if (level > firing)
        t.clear_since = kNever;
      else if (t.clear_since == kNever)
        t.clear_since = now;
      if (t.next_level != level) {
        t.next_level = level;
        t.next_since = now;
      }
      const bool kept = level < firing && now - t.clear_since < rule.keep_firing_for.count();
      const bool due = level == 0 || now - t.next_since >= rule.for_duration.count();
      if (kept || !due) break;
      const int64_t since = t.next_since;
      transition(t, AlertState::kResolved, now, value, out);
      if (level > 0) {
        open(t, now, level, value, AlertState::kFiring, false, out);
        t.alert.started_at_ms = since;
      }
      break;
    }
    case AlertState::kFlapping:  // only with flap detection, which step_flapping() handled
    case AlertState::kResolved:
      break;
  }
}

bool AlertEngine::step_flapping(Target& t, int64_t now, double value, int level,
                                std::vector<AlertEvent>& out) {
  const FlapDetection& flap = *rules_[t.rule].flapping;
  t.flaps.record(static_cast<uint8_t>(level));
  const double percent = t.flaps.percent();
  if (!t.flapping) {
    if (percent < flap.high) return false;
    t.flapping = true;
    const int worst = std::max<int>(1, t.flaps.max_level());
    if (t.state == AlertState::kInactive) {
      open(t, now, worst, value, AlertState::kFlapping, false, out);
    } else {
      t.alert.severity = severity_of(std::max(worst, level_of(t.alert.severity)));
      transition(t, AlertState::kFlapping, now, value, out);
    }
    return true;
  }
  // Quiet until it settles: no event for the changes underneath.
  if (percent >= flap.low) return true;
  t.flapping = false;
  t.clear_since = kNever;
  t.next_level = -1;
  if (level > 0) {
    t.alert.severity = severity_of(level);
    const AlertCondition* c = detail::condition_for(rules_[t.rule], level);
    t.alert.threshold = c ? c->threshold : kNaN;
    transition(t, AlertState::kFiring, now, value, out);
  } else {
    transition(t, AlertState::kResolved, now, value, out);
  }
  return true;
}

void AlertEngine::step_missing(Target& t, int64_t now, std::vector<AlertEvent>& out) {
  const AlertRule& rule = rules_[t.rule];
  if (t.missing_since == kNever) t.missing_since = now;
  // An alert already firing stays as it is: missing data is no news about its condition.
  if (rule.absent_for.count() <= 0 || now - t.missing_since < rule.absent_for.count()) return;
  if (t.state != AlertState::kInactive && t.state != AlertState::kPending) return;
  if (t.state == AlertState::kPending) transition(t, AlertState::kResolved, now, kNaN, out);
  open(t, now, level_of(rule.absent_severity), kNaN, AlertState::kFiring, true, out);
  t.alert.started_at_ms = t.missing_since;
}

void AlertEngine::open(Target& t, int64_t now, int level, double value, AlertState state,
                       bool absent, std::vector<AlertEvent>& out) {
  const AlertRule& rule = rules_[t.rule];
  const AlertCondition* c = absent ? nullptr : detail::condition_for(rule, level);
  Alert& a = t.alert;
  a = Alert{};
  a.type = rule.metric;
  a.rule = rule.alert_name();
  a.instance = t.instance;
  a.severity = severity_of(level);
  a.value = value;
  a.timestamp_ms = now;
  a.started_at_ms = now;
  a.absent = absent;
  a.threshold = c ? c->threshold : kNaN;
  a.state = AlertState::kInactive;
  a.id = next_id_++;
  t.clear_since = kNever;
  t.next_level = -1;
  transition(t, state, now, value, out);
}

void AlertEngine::transition(Target& t, AlertState to, int64_t now, double value,
                             std::vector<AlertEvent>& out) {
  const AlertRule& rule = rules_[t.rule];
  Alert& a = t.alert;
  const AlertState previous = a.state;
  a.state = to;
  if (to == AlertState::kFiring || to == AlertState::kFlapping) {
    a.timestamp_ms = now;
    if (!std::isnan(value)) a.value = value;
  }
  const std::string where = rule.metric + (t.instance.empty() ? "" : " [" + t.instance + "]");
  const std::string level = to_string(a.severity);
  if (to == AlertState::kFlapping) {
    a.threshold = kNaN;
    a.message = where + " is flapping: " + detail::format_number(t.flaps.percent()) +
                " % state changes over the last 21 evaluations (" + level + ")";
  } else if (to == AlertState::kResolved) {
    a.resolved_at_ms = now;
  } else if (a.absent) {
    a.message = where + " has had no value for " + format_duration(rule.absent_for) + " (" + level +
                " when absent for " + format_duration(rule.absent_for) + ")";
  } else {
    const AlertCondition* c = detail::condition_for(rule, detail::level_of(a.severity));
    a.message = where + " is " + detail::format_number(a.value) + t.unit + " (" + level;
    if (c)
      a.message += std::string(" when ") + to_symbol(c->comparison) + " " +
                   detail::format_number(c->threshold) + t.unit;
    a.message += ")";
  }

  // The history keeps episodes someone was told about: from their first firing or flapping on.
  const bool was_active = previous == AlertState::kFiring || previous == AlertState::kFlapping;
  if (a.active() && !was_active) {
    history_.push_back(a);
    while (history_.size() > keep_) history_.pop_front();
  } else if (was_active) {
    for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
      if (it->id == a.id) {
        *it = a;
        break;
      }
    }
  }
  AlertEvent e;
  e.sequence = next_sequence_++;
  e.previous = previous;
  e.at_ms = now;
  e.value = value;
  e.alert = a;
  events_.push_back(e);
  while (events_.size() > keep_) events_.pop_front();
  out.push_back(std::move(e));

  if (to == AlertState::kResolved) {
    t.state = AlertState::kInactive;
    a.absent = false;
  } else {
    t.state = to;
  }
}

std::vector<Alert> AlertEngine::recent(size_t n) const {
  std::lock_guard lock(mutex_);
  std::vector<Alert> out;
  for (auto it = history_.rbegin(); it != history_.rend() && out.size() < n; ++it)
    out.push_back(*it);
  return out;
}

namespace {

std::vector<Alert> newest_first(std::vector<Alert> alerts) {
  std::sort(alerts.begin(), alerts.end(),
            [](const Alert& a, const Alert& b) { return a.id > b.id; });
  return alerts;
}

}  // namespace

std::vector<Alert> AlertEngine::active() const {
  std::lock_guard lock(mutex_);
  // From the targets, not the history: an episode that outlasted the newest `keep` alerts has
  // left the history but is still active.
  std::vector<Alert> out;
  for (const Target& t : targets_) {
    if (t.alert.active() && t.state != AlertState::kInactive) out.push_back(t.alert);
  }
  return newest_first(std::move(out));
}

std::vector<Alert> AlertEngine::current() const {
  std::lock_guard lock(mutex_);
  std::vector<Alert> out;
  for (const Target& t : targets_) {
    if (t.state != AlertState::kInactive) out.push_back(t.alert);
  }
  return newest_first(std::move(out));
}

std::vector<AlertEvent> AlertEngine::events(size_t n) const {
  std::lock_guard lock(mutex_);
  std::vector<AlertEvent> out;
  for (auto it = events_.rbegin(); it != events_.rend() && out.size() < n; ++it) out.push_back(*it);
  return out;
}

}  // namespace resync

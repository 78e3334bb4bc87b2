// SPDX-License-Identifier: MIT
#include "resync/alert_engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "resync/util/rate.hpp"

namespace resync {

const char* to_string(Severity s) { return s == Severity::kCritical ? "critical" : "warning"; }

const char* to_string(Comparison c) {
  switch (c) {
    case Comparison::kAbove: return "above";
    case Comparison::kAtLeast: return "at_least";
    case Comparison::kBelow: return "below";
    case Comparison::kAtMost: return "at_most";
    case Comparison::kEquals: return "equals";
  }
  return "?";
}

const char* to_symbol(Comparison c) {
  switch (c) {
    case Comparison::kAbove: return ">";
    case Comparison::kAtLeast: return ">=";
    case Comparison::kBelow: return "<";
    case Comparison::kAtMost: return "<=";
    case Comparison::kEquals: return "==";
  }
  return "?";
}

std::vector<AlertRule> default_alert_rules() {
  using C = Comparison;
  using S = Severity;
  return {
      {"error_rate", {{S::kWarning, C::kAbove, 5}, {S::kCritical, C::kAtLeast, 10}}, std::nullopt, {}, 0, {}},
      {"cache_hit_ratio", {{S::kWarning, C::kBelow, 80}}, AlertGuard{{"cache_hits", "cache_misses"}, 100}, {}, 0, {}},
      {"response_time_p95", {{S::kWarning, C::kAbove, 500}, {S::kCritical, C::kAtLeast, 1000}}, std::nullopt, {}, 0, {}},
      {"tws_connected", {{S::kCritical, C::kEquals, 0}}, std::nullopt, {}, 0, {}},
  };
}

namespace {

bool holds(Comparison c, double value, double threshold) {
  switch (c) {
    case Comparison::kAbove: return value > threshold;
    case Comparison::kAtLeast: return value >= threshold;
    case Comparison::kBelow: return value < threshold;
    case Comparison::kAtMost: return value <= threshold;
    case Comparison::kEquals: return value == threshold;
  }
  return false;
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

AlertEngine::AlertEngine(std::vector<AlertRule> rules, const SeriesLayout& layout, size_t keep)
    : rules_(std::move(rules)), keep_(keep) {
  for (size_t r = 0; r < rules_.size(); ++r) {
    for (size_t column : layout.find_all(rules_[r].metric)) {
      Target t{r, column, layout.key(column).instance, {}, std::nullopt, 0, std::nullopt, 0, {}};
      const std::string_view symbol = unit_symbol(layout.key(column).description.unit);
      if (!symbol.empty()) t.unit = " " + std::string(symbol);
      if (rules_[r].guard) {
        for (const std::string& m : rules_[r].guard->metrics) {
          if (auto c = layout.find(m, t.instance)) t.guard_columns.push_back(*c);
        }
      }
      targets_.push_back(std::move(t));
    }
  }
}

std::vector<Alert> AlertEngine::evaluate(int64_t timestamp_ms, const double* row, const double* previous) {
  std::vector<Alert> events;
  std::unique_lock lock(mutex_);
  for (Target& t : targets_) {
    const AlertRule& rule = rules_[t.rule];
    const double value = row[t.column];
    std::optional<Severity> severity;
    const AlertCondition* matched = nullptr;
    bool guard_ok = true;
    if (rule.guard) {
      // Missing data for the guard (first sample, collector down) means "too little traffic".
      double increase = 0;
      for (size_t c : t.guard_columns) {
        increase += previous ? counter_increase(previous[c], row[c]) : std::nan("");
      }
      guard_ok = !t.guard_columns.empty() && increase > rule.guard->min_increase;
    }
    if (!std::isnan(value) && guard_ok) {
      for (const AlertCondition& c : rule.conditions) {
        if (holds(c.comparison, value, c.threshold) && (!severity || c.severity > *severity)) {
          severity = c.severity;
          matched = &c;
        }
      }
    }

    if (severity != t.pending) {
      t.pending = severity;
      t.pending_since_ms = timestamp_ms;
    }
    const bool due = severity && timestamp_ms - t.pending_since_ms >= rule.for_duration.count();
    if (t.firing && (!severity || (due && t.firing->severity != *severity))) {
      t.firing->resolved_at_ms = timestamp_ms;
      for (auto& [id, alert] : history_) {
        if (id == t.firing_id) alert = *t.firing;
      }
      events.push_back(*t.firing);
      t.firing.reset();
    }
    if (due && !t.firing) {
      Alert a;
      a.type = rule.metric;
      a.instance = t.instance;
      a.severity = *severity;
      a.value = value;
      a.timestamp_ms = timestamp_ms;
      a.started_at_ms = t.pending_since_ms;
      const std::string& unit = t.unit;
      a.message = rule.metric + (t.instance.empty() ? "" : " [" + t.instance + "]") + " is " +
                  format_number(value) + unit + " (" + to_string(*severity) + " when " +
                  to_symbol(matched->comparison) + " " + format_number(matched->threshold) + unit + ")";
      t.firing_id = next_id_++;
      t.firing = a;
      history_.emplace_back(t.firing_id, a);
      events.push_back(std::move(a));
      while (history_.size() > keep_) history_.pop_front();
    }
  }
  lock.unlock();
  if (listener_) {
    for (const Alert& a : events) listener_(a);
  }
  return events;
}

std::vector<Alert> AlertEngine::recent(size_t n) const {
  std::lock_guard lock(mutex_);
  std::vector<Alert> out;
  for (auto it = history_.rbegin(); it != history_.rend() && out.size() < n; ++it) out.push_back(it->second);
  return out;
}

std::vector<Alert> AlertEngine::active() const {
  std::lock_guard lock(mutex_);
  // From the targets, not the history: an episode that outlasted the newest `keep` alerts has
  // left the history but is still active.
  std::vector<std::pair<size_t, const Alert*>> firing;
  for (const Target& t : targets_) {
    if (t.firing) firing.emplace_back(t.firing_id, &*t.firing);
  }
  std::sort(firing.begin(), firing.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<Alert> out;
  for (const auto& [id, alert] : firing) out.push_back(*alert);
  return out;
}

}  // namespace resync

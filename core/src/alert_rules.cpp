// SPDX-License-Identifier: MIT
#include <algorithm>
#include <charconv>

#include "alert_target.hpp"
#include "resync/catalog.hpp"

namespace resync {

const char* to_string(Severity s) { return s == Severity::kCritical ? "critical" : "warning"; }

const char* to_string(Comparison c) {
  switch (c) {
    case Comparison::kAbove:
      return "above";
    case Comparison::kAtLeast:
      return "at_least";
    case Comparison::kBelow:
      return "below";
    case Comparison::kAtMost:
      return "at_most";
    case Comparison::kEquals:
      return "equals";
  }
  return "?";
}

const char* to_symbol(Comparison c) {
  switch (c) {
    case Comparison::kAbove:
      return ">";
    case Comparison::kAtLeast:
      return ">=";
    case Comparison::kBelow:
      return "<";
    case Comparison::kAtMost:
      return "<=";
    case Comparison::kEquals:
      return "==";
  }
  return "?";
}

const char* to_string(AlertState s) {
  switch (s) {
    case AlertState::kInactive:
      return "inactive";
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
    case AlertState::kFlapping:
      return "flapping";
    case AlertState::kResolved:
      return "resolved";
  }
  return "?";
}

std::vector<AlertRule> default_alert_rules() {
  using C = Comparison;
  using S = Severity;
  std::vector<AlertRule> rules = {
      {"error_rate",
       {{S::kWarning, C::kAbove, 5}, {S::kCritical, C::kAtLeast, 10}},
       std::nullopt,
       {},
       0,
       {}},
      {"cache_hit_ratio",
       {{S::kWarning, C::kBelow, 80}},
       AlertGuard{{"cache_hits", "cache_misses"}, 100},
       {},
       0,
       {}},
      {"response_time_p95",
       {{S::kWarning, C::kAbove, 500}, {S::kCritical, C::kAtLeast, 1000}},
       std::nullopt,
       {},
       0,
       {}},
      {"tws_connected", {{S::kCritical, C::kEquals, 0}}, std::nullopt, {}, 0, {}},
  };
  // A collector that is down (or its target) is worth a warning without a hand-written rule; a
  // minute, so one slow run or a restart of the target does not page anyone.
  AlertRule down{std::string(kCollectorUp),
                 {{S::kWarning, C::kEquals, 0}},
                 std::nullopt,
                 std::chrono::minutes{1},
                 0,
                 {}};
  rules.push_back(std::move(down));
  return rules;
}

namespace detail {
namespace {

bool holds(Comparison c, double value, double threshold) {
  switch (c) {
    case Comparison::kAbove:
      return value > threshold;
    case Comparison::kAtLeast:
      return value >= threshold;
    case Comparison::kBelow:
      return value < threshold;
    case Comparison::kAtMost:
      return value <= threshold;
    case Comparison::kEquals:
      return value == threshold;
  }
  return false;
}

}  // namespace

int condition_level(const AlertRule& rule, double value, int held) {
  int level = 0;
  for (const AlertCondition& c : rule.conditions) {
    if (holds(c.comparison, value, c.threshold)) level = std::max(level, level_of(c.severity));
  }
  // The configuration allows clear levels only on rules whose comparisons all point one way.
  const bool upward =
      !rule.conditions.empty() && (rule.conditions[0].comparison == Comparison::kAbove ||
                                   rule.conditions[0].comparison == Comparison::kAtLeast);
  for (int l = held; l > level; --l) {
    const std::optional<double>& clear = rule.clear[static_cast<size_t>(l - 1)];
    if (clear && (upward ? value > *clear : value < *clear)) return l;
  }
  return level;
}

const AlertCondition* condition_for(const AlertRule& rule, int level) {
  for (const AlertCondition& c : rule.conditions) {
    if (level_of(c.severity) == level) return &c;
  }
  return nullptr;
}

// printf's "%.4g" without printf: no locale, and a fraction of the cost on the transition path.
std::string format_number(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 4);
  return std::string(buf, r.ptr);
}

}  // namespace detail
}  // namespace resync

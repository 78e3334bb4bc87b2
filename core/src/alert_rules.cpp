// SPDX-License-Identifier: MIT
#include <algorithm>
#include <charconv>

#include "alert_target.hpp"
#include "resync/catalog.hpp"
#include "resync/util/duration.hpp"

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

std::vector<AlertRule> host_alert_rules() {
  using C = Comparison;
  using S = Severity;
  std::vector<AlertRule> rules;
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

std::string describe(const AlertRule& rule) {
  std::string out = rule.alert_name() == rule.metric ? rule.metric : rule.name + ": " + rule.metric;
  const char* sep = " ";
  for (const AlertCondition& c : rule.conditions) {
    out += sep + std::string(to_symbol(c.comparison)) + " " + detail::format_number(c.threshold) +
           " " + to_string(c.severity);
    if (const auto& clear = rule.clear[static_cast<size_t>(c.severity)])
      out += " (clear " + detail::format_number(*clear) + ")";
    sep = ", ";
  }
  if (!rule.instance.empty()) out += " on " + rule.instance;
  if (rule.for_duration.count() > 0) out += "; for " + format_duration(rule.for_duration);
  if (rule.keep_firing_for.count() > 0)
    out += "; keep firing " + format_duration(rule.keep_firing_for);
  if (rule.flapping) {
    out += "; flapping " + detail::format_number(rule.flapping->high) + "/" +
           detail::format_number(rule.flapping->low) + " %";
  }
  if (rule.absent_for.count() > 0) {
    out += std::string("; ") + to_string(rule.absent_severity) + " when absent for " +
           format_duration(rule.absent_for);
  }
  if (rule.guard) {
    out += "; guard ";
    for (size_t i = 0; i < rule.guard->metrics.size(); ++i)
      out += (i ? " + " : "") + rule.guard->metrics[i];
    out += " > " + detail::format_number(rule.guard->min_increase);
  }
  return out;
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

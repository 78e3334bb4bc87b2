// SPDX-License-Identifier: MIT
#include "prometheus_rules_expr.hpp"

#include <charconv>
#include <cmath>

#include "resync/views/prometheus_rules.hpp"

namespace resync::views::detail {
namespace {

// ALERTS carries the rule's labels besides the instance; matching on what remains pairs each
// series with its own instance's alert (and keeps any target label a team added, such as host).
constexpr const char* kOnInstance = "ignoring (alertname, alertstate, severity, metric)";

bool upward(const AlertRule& rule) {
  return !rule.conditions.empty() && (rule.conditions[0].comparison == Comparison::kAbove ||
                                      rule.conditions[0].comparison == Comparison::kAtLeast);
}

bool has_severity(const AlertRule& rule, Severity s) {
  for (const AlertCondition& c : rule.conditions) {
    if (c.severity == s) return true;
  }
  return false;
}

}  // namespace

std::string indent(const std::string& text) {
  std::string out = "  ";
  for (char c : text) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}

std::string promql_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return "0";  // no "-0"
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string RuleExpressions::leaf(const ExportedSeries& s, const std::string& function,
                                  const std::string& range) const {
  std::string selector = s.name;
  if (!rule.instance.empty())
    selector += std::string(s.host ? "{collector=\"" : "{instance=\"") + rule.instance + "\"}";
  if (!range.empty()) selector += "[" + range + "]";
  const std::string inner = function.empty() ? selector : function + "(" + selector + ")";
  // The host's series name their instance in `collector`; the alert names it in `instance`.
  if (s.host) {
    return "max without (job, collector) (label_replace(" + inner +
           R"x(, "instance", "$1", "collector", "(.*)")))x";
  }
  return "max without (job) (" + inner + ")";
}

std::string RuleExpressions::conditions(Severity s) const {
  const std::string v = leaf(value);
  std::string out;
  for (const AlertCondition& c : rule.conditions) {
    if (c.severity != s) continue;
    if (!out.empty()) out += "\nor\n";
    out += v + " " + to_symbol(c.comparison) + " " + promql_number(c.threshold * value.scale);
  }
  return out;
}

// ALERTS (or ALERTS_FOR_STATE) of the rule at severity `s`, as the previous evaluation left them:
// `offset 1ms` skips what rules evaluated earlier in this evaluation wrote, so the order of the
// rules in the group does not matter. `at_least`: this severity or a more severe one, as the
// engine's clear levels hold a level from any higher level it was at.
std::string alerts_selector(const AlertRule& rule, Severity s, bool at_least,
                            const std::string& state = "", const char* series = "ALERTS") {
  std::string out = std::string(series) + "{alertname=\"" + rule.alert_name() + "\", metric=\"" +
                    rule.metric + "\", ";
  if (!state.empty()) out += "alertstate=\"" + state + "\", ";
  if (at_least && s == Severity::kWarning)
    out += "severity=~\"warning|critical\"}";
  else
    out += std::string("severity=\"") + to_string(s) + "\"}";
  return out + " offset 1ms";
}

std::string RuleExpressions::alerts_of(Severity s) const { return alerts_selector(rule, s, false); }

std::string RuleExpressions::guard_sum() const {
  const std::string range = prometheus_duration(interval * 2);
  std::string sum;
  for (const ExportedSeries& g : guard) {
    if (!sum.empty()) sum += " + ";
    sum += leaf(g, "irate", range);
    if (g.scale != 1) sum += " / " + promql_number(g.scale);
  }
  // irate over two intervals is the increase between the last two samples per second, reset-aware
  // like the engine's counter_increase; times the interval, the increase per sample.
  return "(" + sum + ") * " + promql_number(std::chrono::duration<double>(interval).count());
}

std::string RuleExpressions::level(Severity s) const {
  const std::string v = leaf(value);
  std::string fire = conditions(s);
  if (const auto& clear = rule.clear[static_cast<size_t>(s)]) {
    fire += "\nor\n" + v + (upward(rule) ? " > " : " < ") + promql_number(*clear * value.scale) +
            "\n  and " + kOnInstance + "\n  " + alerts_selector(rule, s, true);
  }
  std::string hold;
  if (rule.guard) {
    const std::string sum = guard_sum();
    fire =
        "(\n" + indent(fire) + "\n)\nand\n" + sum + " > " + promql_number(rule.guard->min_increase);
    hold = v + "\n  and " + kOnInstance + "\n  " + alerts_of(s) + "\n  unless (" + v + " == " + v +
           " and " + sum + " == " + sum + ")";
  } else {
    hold = v + " != " + v + "\n  and " + kOnInstance + "\n  " + alerts_of(s);
  }
  // NaN compares false, so without this branch a missing value would resolve the alert; the
  // engine holds it, whatever its state.
  return fire + "\nor\n" + hold;
}

std::string RuleExpressions::at_level(Severity s) const {
  if (s == Severity::kWarning && has_severity(rule, Severity::kCritical)) {
    // One alert per instance, of the most severe level, as the engine keeps.
    return "(\n" + indent(level(Severity::kWarning)) + "\n)\nunless\n(\n" +
           indent(level(Severity::kCritical)) + "\n)";
  }
  return level(s);
}

std::string RuleExpressions::severity(Severity s) const {
  const Severity other = s == Severity::kWarning ? Severity::kCritical : Severity::kWarning;
  if (rule.for_duration.count() <= 0 || !has_severity(rule, other)) return at_level(s);
  // A firing alert keeps its severity until the other level has lasted `for`, as the engine does:
  // until then the other rule is pending, and its ALERTS_FOR_STATE holds when it became active.
  // Half an interval of slack, because that value is in whole seconds.
  const double due = std::chrono::duration<double>(rule.for_duration).count() -
                     std::chrono::duration<double>(interval).count() / 2;
  return "(\n" + indent(at_level(s)) + "\n)\nor\n(\n" + indent(at_level(other)) + "\n)\n  and " +
         kOnInstance + "\n  " + alerts_selector(rule, s, false, "firing") + "\n  unless " +
         kOnInstance + "\n  " + alerts_selector(rule, other, false, "", "ALERTS_FOR_STATE") +
         " <= time() " + (due < 0 ? "+ " + promql_number(-due) : "- " + promql_number(due));
}

std::string RuleExpressions::absent(std::chrono::milliseconds window) const {
  const std::string range = prometheus_duration(window);
  const std::string all_nan = leaf(value, "max_over_time", range);
  // max_over_time is NaN only when every sample in the range is: resync-mon exports a missing
  // value as NaN, which absent_over_time counts as present. The value -Inf tells the summary
  // template this branch from a threshold's (whose held value is NaN).
  std::string out = "-Inf * ((" + all_nan + " != bool " + all_nan + ") == 1)";
  for (const std::string& instance : instances) {
    AlertRule filtered = rule;
    filtered.instance = instance;
    const RuleExpressions scoped{filtered, value, {}, {}, interval};
    out += "\nor\n-Inf * " + scoped.leaf(value, "absent_over_time", range);
  }
  const Severity other =
      rule.absent_severity == Severity::kWarning ? Severity::kCritical : Severity::kWarning;
  if (!has_severity(rule, other)) return out;
  // The engine opens an absent alert only where none of another severity is firing.
  return "(\n" + indent(out) + "\n)\nunless " + kOnInstance + "\n  " +
         alerts_selector(rule, other, false, "firing");
}

}  // namespace resync::views::detail

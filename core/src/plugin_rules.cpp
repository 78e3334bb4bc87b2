// SPDX-License-Identifier: MIT
// The default alert rules a plugin's table declares, read and checked when it is loaded.
#include <cmath>
#include <set>

#include "plugin_host.hpp"
#include "resync/error.hpp"

namespace resync {
namespace {

using Fail = std::function<PluginLoadError(const std::string&)>;

std::optional<Comparison> comparison_of(uint32_t cmp) {
  switch (cmp) {
    case RESYNC_CMP_ABOVE:
      return Comparison::kAbove;
    case RESYNC_CMP_AT_LEAST:
      return Comparison::kAtLeast;
    case RESYNC_CMP_BELOW:
      return Comparison::kBelow;
    case RESYNC_CMP_AT_MOST:
      return Comparison::kAtMost;
    case RESYNC_CMP_EQUALS:
      return Comparison::kEquals;
    default:
      return std::nullopt;
  }
}

bool upward(Comparison c) { return c == Comparison::kAbove || c == Comparison::kAtLeast; }

// One severity of a rule: its threshold and, when given, its clear level. The same checks as a
// rule under `alerts:` (config_rules.cpp), so a plugin cannot declare what a user could not write.
void add_condition(AlertRule& rule, Severity s, uint32_t cmp, double threshold, double clear,
                   const std::string& where, const Fail& fail) {
  const std::string level = to_string(s);
  if (cmp == RESYNC_CMP_NONE) {
    if (!std::isnan(clear)) throw fail(where + level + "_clear without a " + level + " threshold");
    return;
  }
  const std::optional<Comparison> c = comparison_of(cmp);
  if (!c) throw fail(where + "unknown " + level + " comparison " + std::to_string(cmp));
  if (!std::isfinite(threshold)) throw fail(where + level + " threshold is not a number");
  if (!rule.conditions.empty() && upward(*c) != upward(rule.conditions[0].comparison) &&
      !std::isnan(clear)) {
    throw fail(where + "thresholds in both directions cannot have clear levels");
  }
  rule.conditions.push_back({s, *c, threshold});
  if (std::isnan(clear)) return;
  if (*c == Comparison::kEquals) throw fail(where + level + "_clear is not allowed with equals");
  if (upward(*c) ? clear >= threshold : clear <= threshold)
    throw fail(where + level + "_clear is on the wrong side of its threshold");
  rule.clear[static_cast<size_t>(s)] = clear;
}

AlertRule read_rule(const resync_alert_rule& raw, const std::set<std::string>& series, size_t index,
                    const Fail& fail) {
  const std::string where = "default rule " + std::to_string(index) + ": ";
  if (!raw.metric || !series.count(raw.metric))
    throw fail(where + "metric is not one of the plugin's series");
  AlertRule rule;
  rule.metric = raw.metric;
  add_condition(rule, Severity::kWarning, raw.warning_cmp, raw.warning, raw.warning_clear, where,
                fail);
  add_condition(rule, Severity::kCritical, raw.critical_cmp, raw.critical, raw.critical_clear,
                where, fail);
  if (rule.conditions.empty()) throw fail(where + "no threshold");
  rule.for_duration = std::chrono::milliseconds{raw.for_ms};
  rule.keep_firing_for = std::chrono::milliseconds{raw.keep_firing_for_ms};
  if (raw.flap_high != 0) {
    if (!(raw.flap_low > 0 && raw.flap_low < raw.flap_high && raw.flap_high <= 100))
      throw fail(where + "flapping needs 0 < flap_low < flap_high <= 100");
    rule.flapping = FlapDetection{raw.flap_high, raw.flap_low};
  }
  if (raw.guard_count > 0) {
    if (!raw.guard_metrics) throw fail(where + "guard_metrics is null");
    AlertGuard guard;
    guard.min_increase = raw.guard_min_increase;
    for (uint32_t g = 0; g < raw.guard_count; ++g) {
      const char* m = raw.guard_metrics[g];
      if (!m || !series.count(m)) throw fail(where + "a guard metric is not one of its series");
      guard.metrics.emplace_back(m);
    }
    rule.guard = std::move(guard);
  }
  return rule;
}

}  // namespace

std::vector<AlertRule> read_default_rules(const resync_plugin_v1& table, const Fail& fail) {
  const bool has_rules =
      table.struct_size >= offsetof(resync_plugin_v1, default_rule_size) + sizeof(uint32_t) &&
      table.default_rules != nullptr && table.default_rule_count > 0;
  if (!has_rules) return {};
  if (table.default_rule_size < RESYNC_ALERT_RULE_MIN_SIZE) {
    throw fail("default rules are " + std::to_string(table.default_rule_size) +
               " bytes each, expected at least " + std::to_string(RESYNC_ALERT_RULE_MIN_SIZE));
  }
  const std::set<std::string> series(table.series, table.series + table.series_count);
  std::vector<AlertRule> rules;
  for (uint32_t i = 0; i < table.default_rule_count; ++i) {
    // Stride by the plugin's struct size, so a plugin built with a later, larger struct loads.
    const auto* raw = reinterpret_cast<const unsigned char*>(table.default_rules) +
                      size_t{i} * table.default_rule_size;
    rules.push_back(read_rule(*reinterpret_cast<const resync_alert_rule*>(raw), series, i, fail));
  }
  return rules;
}

}  // namespace resync

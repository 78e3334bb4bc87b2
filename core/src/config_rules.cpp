// SPDX-License-Identifier: MIT
#include "config_rules.hpp"

#include <string>


namespace resync::detail {
namespace {

using Node = ConfigNode;

AlertRule parse_rule(const ConfigReader& r, const Node& n, const std::string& path) {
  r.check_keys(n, path, {"metric", "above", "at_least", "below", "at_most", "equals", "guard", "for"});
  AlertRule rule;
  const Node* metric = n.find("metric");
  if (!metric) r.fail(n.line, path + ".metric", "missing; every rule names the metric it watches");
  rule.metric = r.string(*metric, path + ".metric");
  // Whether a plugin declares the metric is checked once the plugins are loaded (Monitor).
  rule.line = metric->line;
  rule.key_path = path;
  for (Comparison cmp : {Comparison::kAbove, Comparison::kAtLeast, Comparison::kBelow, Comparison::kAtMost,
                         Comparison::kEquals}) {
    const Node* t = n.find(to_string(cmp));
    if (!t) continue;
    const std::string tpath = path + "." + to_string(cmp);
    r.check_keys(*t, tpath, {"warning", "critical"});
    if (const Node* v = t->find("warning")) rule.conditions.push_back({Severity::kWarning, cmp, r.number(*v, tpath + ".warning")});
    if (const Node* v = t->find("critical")) rule.conditions.push_back({Severity::kCritical, cmp, r.number(*v, tpath + ".critical")});
  }
  if (rule.conditions.empty()) {
    r.fail(n.line, path, "no threshold; add above, at_least, below, at_most or equals with warning and/or critical");
  }
  if (const Node* g = n.find("guard")) {
    r.check_keys(*g, path + ".guard", {"metrics", "min_increase"});
    AlertGuard guard;
    const Node* metrics = g->find("metrics");
    if (!metrics || metrics->kind != Node::Kind::kSequence || metrics->seq.empty()) {
      r.fail(g->line, path + ".guard.metrics", "expected a list of counter metrics");
    }
    for (size_t i = 0; i < metrics->seq.size(); ++i) {
      const std::string mpath = path + ".guard.metrics[" + std::to_string(i) + "]";
      guard.metrics.push_back(r.string(metrics->seq[i], mpath));
    }
    if (const Node* v = g->find("min_increase")) guard.min_increase = r.number(*v, path + ".guard.min_increase");
    rule.guard = std::move(guard);
  }
  if (const Node* v = n.find("for")) rule.for_duration = r.duration(*v, path + ".for");
  return rule;
}

}  // namespace

std::vector<AlertRule> parse_alert_rules(const ConfigReader& reader, const ConfigNode& alerts) {
  if (alerts.kind != Node::Kind::kSequence) reader.fail(alerts.line, "alerts", "expected a list of rules");
  std::vector<AlertRule> rules;
  for (size_t i = 0; i < alerts.seq.size(); ++i) {
    rules.push_back(parse_rule(reader, alerts.seq[i], "alerts[" + std::to_string(i) + "]"));
  }
  return rules;
}

}  // namespace resync::detail

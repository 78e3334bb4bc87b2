// SPDX-License-Identifier: MIT
#include "config_rules.hpp"

#include <algorithm>
#include <string>
#include <string_view>

namespace resync::detail {
namespace {

using Node = ConfigNode;

constexpr Comparison kComparisons[] = {Comparison::kAbove, Comparison::kAtLeast, Comparison::kBelow,
                                       Comparison::kAtMost, Comparison::kEquals};

bool is_upward(Comparison c) { return c == Comparison::kAbove || c == Comparison::kAtLeast; }

std::string number_text(double v) {
  std::string out = std::to_string(v);
  out.erase(out.find_last_not_of('0') + 1);
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

Severity parse_severity(const ConfigReader& r, const Node& n, const std::string& path) {
  const std::string text = r.string(n, path);
  if (text == "warning") return Severity::kWarning;
  if (text == "critical") return Severity::kCritical;
  r.fail(n.line, path, "expected warning or critical, got \"" + text + "\"");
}

// `clear: 85` is the level the alert resolves at (the rule's lowest severity); `clear: {warning:
// 85, critical: 60}` gives one per severity. Each must sit on the good side of its threshold, or
// the alert would resolve while its condition still holds.
void parse_clear(const ConfigReader& r, const Node& n, const std::string& path, AlertRule& rule) {
  if (rule.conditions.empty()) r.fail(n.line, path, "needs a threshold to clear from");
  const bool upward = is_upward(rule.conditions[0].comparison);
  for (const AlertCondition& c : rule.conditions) {
    if (c.comparison == Comparison::kEquals) {
      r.fail(n.line, path, "not allowed with equals; a value is either equal or not");
    }
    if (is_upward(c.comparison) != upward) {
      r.fail(n.line, path,
             "the rule has thresholds in both directions, so a clear level is ambiguous");
    }
  }
  auto set = [&](Severity s, const Node& v, const std::string& vpath) {
    const double level = r.number(v, vpath);
    bool has = false;
    for (const AlertCondition& c : rule.conditions) {
      if (c.severity != s) continue;
      has = true;
      if (upward ? level >= c.threshold : level <= c.threshold) {
        r.fail(v.line, vpath,
               std::string("must be ") + (upward ? "below" : "above") + " the " + to_string(s) +
                   " threshold " + number_text(c.threshold) + ", got " + number_text(level));
      }
    }
    if (!has) r.fail(v.line, vpath, std::string("the rule has no ") + to_string(s) + " threshold");
    rule.clear[static_cast<size_t>(s)] = level;
  };
  if (n.kind == Node::Kind::kMap) {
    r.check_keys(n, path, {"warning", "critical"});
    if (const Node* v = n.find("warning")) set(Severity::kWarning, *v, path + ".warning");
    if (const Node* v = n.find("critical")) set(Severity::kCritical, *v, path + ".critical");
  } else {
    Severity lowest = Severity::kCritical;
    for (const AlertCondition& c : rule.conditions) lowest = std::min(lowest, c.severity);
    set(lowest, n, path);
  }
}

FlapDetection parse_flapping(const ConfigReader& r, const Node& n, const std::string& path) {
  FlapDetection f;
  if (n.kind == Node::Kind::kMap) {
    r.check_keys(n, path, {"high", "low"});
    if (const Node* v = n.find("high")) f.high = r.number(*v, path + ".high");
    if (const Node* v = n.find("low")) f.low = r.number(*v, path + ".low");
    if (!(f.low > 0 && f.low < f.high && f.high <= 100)) {
      r.fail(n.line, path,
             "expected 0 < low < high <= 100 (percent of state changes), got low " +
                 number_text(f.low) + ", high " + number_text(f.high));
    }
  } else if (r.string(n, path) != "true") {
    r.fail(n.line, path, "expected true or {high: 30, low: 20}, got \"" + n.scalar + "\"");
  }
  return f;
}

AlertRule parse_rule(const ConfigReader& r, const Node& n, const std::string& path) {
  r.check_keys(
      n, path,
      {"metric", "instance", "name", "above", "at_least", "below", "at_most", "equals", "clear",
       "for", "keep_firing_for", "absent_for", "absent_severity", "flapping", "guard"});
  AlertRule rule;
  const Node* metric = n.find("metric");
  if (!metric) r.fail(n.line, path + ".metric", "missing; every rule names the metric it watches");
  rule.metric = r.string(*metric, path + ".metric");
  // Whether a plugin declares the metric (on that instance) is checked once the plugins are
  // loaded (Monitor).
  rule.line = metric->line;
  rule.key_path = path;
  if (const Node* v = n.find("instance")) {
    rule.instance = r.string(*v, path + ".instance");
    rule.instance_line = v->line;
    if (!is_token(rule.instance, "_.-")) {
      r.fail(v->line, path + ".instance",
             "expected a collector instance name, got \"" + rule.instance + "\"");
    }
  }
  if (const Node* v = n.find("name")) {
    rule.name = r.string(*v, path + ".name");
    if (!is_token(rule.name, "_") || (rule.name[0] >= '0' && rule.name[0] <= '9')) {
      r.fail(v->line, path + ".name",
             "expected letters, digits and '_' (not first), got \"" + rule.name + "\"");
    }
  }
  for (Comparison cmp : kComparisons) {
    const Node* t = n.find(to_string(cmp));
    if (!t) continue;
    const std::string tpath = path + "." + to_string(cmp);
    r.check_keys(*t, tpath, {"warning", "critical"});
    if (const Node* v = t->find("warning"))
      rule.conditions.push_back({Severity::kWarning, cmp, r.number(*v, tpath + ".warning")});
    if (const Node* v = t->find("critical"))
      rule.conditions.push_back({Severity::kCritical, cmp, r.number(*v, tpath + ".critical")});
  }
  if (const Node* v = n.find("absent_for")) rule.absent_for = r.duration(*v, path + ".absent_for");
  if (const Node* v = n.find("absent_severity")) {
    if (rule.absent_for.count() == 0)
      r.fail(v->line, path + ".absent_severity", "only means something with absent_for");
    rule.absent_severity = parse_severity(r, *v, path + ".absent_severity");
  }
  if (rule.conditions.empty() && rule.absent_for.count() == 0) {
    r.fail(n.line, path,
           "no threshold; add above, at_least, below, at_most or equals with warning and/or "
           "critical, or absent_for");
  }
  if (const Node* v = n.find("clear")) parse_clear(r, *v, path + ".clear", rule);
  if (const Node* v = n.find("for")) rule.for_duration = r.duration(*v, path + ".for");
  if (const Node* v = n.find("keep_firing_for"))
    rule.keep_firing_for = r.duration(*v, path + ".keep_firing_for");
  if (const Node* v = n.find("flapping")) {
    if (rule.conditions.empty())
      r.fail(v->line, path + ".flapping", "needs a threshold whose state can change");
    if (v->kind == Node::Kind::kMap || v->scalar != "false")
      rule.flapping = parse_flapping(r, *v, path + ".flapping");
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
    if (const Node* v = g->find("min_increase"))
      guard.min_increase = r.number(*v, path + ".guard.min_increase");
    rule.guard = std::move(guard);
  }
  return rule;
}

}  // namespace

std::vector<AlertRule> parse_alert_rules(const ConfigReader& reader, const ConfigNode& alerts) {
  if (alerts.kind != Node::Kind::kSequence)
    reader.fail(alerts.line, "alerts", "expected a list of rules");
  std::vector<AlertRule> rules;
  for (size_t i = 0; i < alerts.seq.size(); ++i) {
    rules.push_back(parse_rule(reader, alerts.seq[i], "alerts[" + std::to_string(i) + "]"));
  }
  return rules;
}

}  // namespace resync::detail

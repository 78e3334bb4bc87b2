// SPDX-License-Identifier: MIT
#include "resync/views/prometheus_rules.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "prometheus_rules_expr.hpp"
#include "resync/catalog.hpp"
#include "resync/util/duration.hpp"
#include "resync/views/prometheus_text.hpp"

namespace resync::views {
namespace {

using detail::ExportedSeries;
using detail::RuleExpressions;

// Messages show four significant digits, as resync-mon's own (printf's %.4g, which Go's
// template printf formats the same way).
std::string four_digits(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 4);
  return std::string(buf, r.ptr);
}

// A YAML single-quoted scalar.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Literal text inside a Go template: "{{" would open an action.
std::string template_literal(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 2, "{{") == 0) {
      out += "{{ \"{{\" }}";
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

const SeriesKey* find_key(const RuleExport& in, const std::string& metric,
                          const std::string& instance) {
  for (const SeriesKey& k : in.series) {
    if (k.metric == metric && (instance.empty() || k.instance == instance)) return &k;
  }
  return nullptr;
}

ExportedSeries exported(const SeriesKey& key) {
  ExportedSeries s;
  const SeriesDescription d =
      key.description.name.empty() ? SeriesDescription(key.metric) : key.description;
  s.name = exposition_name(d, &s.scale);
  s.host = is_host_series(key.metric);
  const Unit unit = d.unit == Unit::kMilliseconds ? Unit::kSeconds : d.unit;
  const std::string_view symbol = unit_symbol(unit);
  if (!symbol.empty()) s.unit = " " + std::string(symbol);
  return s;
}

struct Writer {
  std::ostream& out;
  const RuleExport& in;
  std::vector<std::string>& notes;

  void header() const;
  void rule(const AlertRule& rule) const;
  RuleExpressions expressions(const AlertRule& rule, const SeriesKey& key) const;
  void flapping_note(const AlertRule& rule) const;
  /// One alerting rule; `timed`: with the rule's `for` and `keep_firing_for`.
  void alert(const RuleExpressions& x, Severity severity, const std::string& expr,
             const std::string& summary, const std::string& value, bool timed) const;
  std::string describe(const AlertRule& rule) const;
};

void Writer::header() const {
  const std::string every = prometheus_duration(in.interval);
  out << "# Prometheus alerting rules for the resync-mon alert rules in effect in " << in.source
      << ",\n# defaults included (`resync-mon rules --format prometheus`; regenerate after changing"
         " them).\n#\n"
         "# One group for the whole configuration, evaluated every sample interval: a resync-mon"
         " rule\n# covers every collector instance with its metric, and its Prometheus rules (one"
         " per severity)\n# read each other's ALERTS as the previous evaluation left them, which"
         " only rules evaluated\n# together, on the same timestamps, see.\n#\n"
         "# Scrape resync-mon with honor_labels, so its instance=\"<collector>\" label stays:\n"
         "#   - job_name: resync-mon\n#     honor_labels: true\n#     scrape_interval: "
      << every
      << "\n#     static_configs: [{targets: [\"HOST:PORT\"]}]\n"
         "# The expressions aggregate `job` away: an alert carries alertname, severity, instance"
         " and\n# metric, the labels resync-mon sends to Alertmanager, which merges the two into"
         " one alert.\n"
         "groups:\n  - name: resync-mon\n    interval: "
      << every << "\n    rules:\n";
}

std::string Writer::describe(const AlertRule& rule) const {
  std::string text = rule.name.empty() ? rule.metric : rule.name + ": " + rule.metric;
  if (!rule.instance.empty()) text += " [" + rule.instance + "]";
  for (const AlertCondition& c : rule.conditions) {
    text += std::string(", ") + to_string(c.severity) + " " + to_symbol(c.comparison) + " " +
            detail::promql_number(c.threshold);
  }
  for (Severity s : {Severity::kWarning, Severity::kCritical}) {
    if (const auto& clear = rule.clear[static_cast<size_t>(s)])
      text += std::string(", ") + to_string(s) + " clears at " + detail::promql_number(*clear);
  }
  if (rule.for_duration.count() > 0) text += ", for " + format_duration(rule.for_duration);
  if (rule.keep_firing_for.count() > 0)
    text += ", keep_firing_for " + format_duration(rule.keep_firing_for);
  if (rule.absent_for.count() > 0) text += ", absent_for " + format_duration(rule.absent_for);
  if (rule.guard) {
    text += ", guard: increase of";
    for (const std::string& m : rule.guard->metrics) text += " " + m;
    text += " > " + detail::promql_number(rule.guard->min_increase);
  }
  return text + (rule.key_path.empty() ? " (default rule)" : " (" + rule.key_path + ")");
}

void Writer::alert(const RuleExpressions& x, Severity severity, const std::string& expr,
                   const std::string& summary, const std::string& value, bool timed) const {
  const AlertRule& rule = x.rule;
  out << "      - alert: " << rule.alert_name() << "\n        expr: |\n          ";
  for (char c : expr) out << (c == '\n' ? std::string("\n          ") : std::string(1, c));
  out << '\n';
  if (timed && rule.for_duration.count() > 0)
    out << "        for: " << prometheus_duration(rule.for_duration) << '\n';
  if (timed && rule.keep_firing_for.count() > 0)
    out << "        keep_firing_for: " << prometheus_duration(rule.keep_firing_for) << '\n';
  out << "        labels:\n          severity: " << to_string(severity)
      << "\n          metric: " << quoted(rule.metric) << "\n        annotations:\n"
      << "          summary: " << quoted(summary) << "\n          value: " << quoted(value) << '\n';
  if (!in.dashboard_url.empty())
    out << "          dashboard: " << quoted(template_literal(in.dashboard_url)) << '\n';
}

RuleExpressions Writer::expressions(const AlertRule& rule, const SeriesKey& key) const {
  RuleExpressions x{rule, exported(key), {}, {}, in.interval};
  for (const SeriesKey& k : in.series) {
    if (k.metric == rule.metric && (rule.instance.empty() || k.instance == rule.instance))
      x.instances.push_back(k.instance);
  }
  if (rule.guard) {
    for (const std::string& m : rule.guard->metrics) {
      const SeriesKey* g = find_key(in, m, rule.instance);
      x.guard.push_back(g ? exported(*g) : ExportedSeries{"resync_mon_" + m, 1, false, ""});
    }
  }
  return x;
}

void Writer::flapping_note(const AlertRule& rule) const {
  out << "      # Flapping detection (high " << detail::promql_number(rule.flapping->high)
      << " %, low " << detail::promql_number(rule.flapping->low)
      << " %) is not exported: PromQL cannot count an alert's state changes,\n"
         "      # so Prometheus fires and resolves on each change resync-mon holds as one "
         "flapping alert.\n";
  notes.push_back(rule.alert_name() + " (" + rule.metric +
                  "): flapping detection cannot be written in PromQL; exported without it");
}

void Writer::rule(const AlertRule& rule) const {
  const SeriesKey* key = find_key(in, rule.metric, rule.instance);
  out << "\n      # " << describe(rule) << '\n';
  if (!key) {
    out << "      # Not exported: no configured collector provides " << rule.metric << ".\n";
    return;
  }
  const RuleExpressions x = expressions(rule, *key);
  if (rule.flapping) flapping_note(rule);
  bool severities[2] = {false, false};
  for (const AlertCondition& c : rule.conditions)
    severities[static_cast<size_t>(c.severity)] = true;
  if (rule.keep_firing_for.count() > 0 && severities[0] && severities[1]) {
    out << "      # keep_firing_for keeps each severity's alert on its own: after a change of "
           "severity the\n      # previous one fires beside the new one for that long, where "
           "resync-mon has one alert.\n";
    notes.push_back(rule.alert_name() + " (" + rule.metric +
                    "): keep_firing_for with two severities keeps the previous severity firing "
                    "beside the new one after a change");
  }
  const std::string where = rule.metric + " [{{ $labels.instance }}]";
  const std::string d = format_duration(rule.absent_for);
  const std::string absent_text = where + " has had no value for " + d + " (" +
                                  to_string(rule.absent_severity) + " when absent for " + d + ")";
  bool absent_left = rule.absent_for.count() > 0;
  for (Severity s : {Severity::kWarning, Severity::kCritical}) {
    const AlertCondition* first = nullptr;
    for (const AlertCondition& c : rule.conditions) {
      if (c.severity == s && !first) first = &c;
    }
    if (!first) continue;
    std::string expr = x.severity(s);
    std::string summary = where + " is {{ printf \"%.4g\" $value }}" + x.value.unit + " (" +
                          to_string(s) + " when " + to_symbol(first->comparison) + " " +
                          four_digits(first->threshold * x.value.scale) + x.value.unit + ")";
    std::string value = "{{ printf \"%.4g\" $value }}";
    if (absent_left && rule.absent_severity == s) {
      // One Prometheus rule per label set: two rules with the same labels would write one ALERTS
      // series twice at a timestamp, which Prometheus refuses. `for` delays this rule's absent
      // branch too, so its window is shortened by as much (down to one interval).
      const auto window =
          std::max<std::chrono::milliseconds>(rule.absent_for - rule.for_duration, in.interval);
      // First, so its value (-Inf, for the summary) wins over a threshold's held NaN.
      expr =
          "(\n" + detail::indent(x.absent(window)) + "\n)\nor\n(\n" + detail::indent(expr) + "\n)";
      summary = "{{ if lt $value -1e308 }}" + absent_text + "{{ else }}" + summary + "{{ end }}";
      value = "{{ if lt $value -1e308 }}none{{ else }}" + value + "{{ end }}";
      absent_left = false;
    }
    alert(x, s, expr, summary, value, true);
  }
  if (absent_left)
    alert(x, rule.absent_severity, x.absent(rule.absent_for), absent_text, "none", false);
}

}  // namespace

std::string prometheus_duration(std::chrono::milliseconds d) { return format_duration(d); }

std::vector<std::string> render_prometheus_rules(std::ostream& out, const RuleExport& in) {
  std::vector<std::string> notes;
  const Writer w{out, in, notes};
  w.header();
  for (const AlertRule& rule : in.rules) w.rule(rule);
  return notes;
}

std::string render_prometheus_rules(const RuleExport& in, std::vector<std::string>* notes) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  std::vector<std::string> n = render_prometheus_rules(out, in);
  if (notes) *notes = std::move(n);
  return out.str();
}

}  // namespace resync::views

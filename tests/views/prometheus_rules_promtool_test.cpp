// SPDX-License-Identifier: MIT
// The exported rules against resync-mon's own engine: one series fed to both, the AlertEngine
// in-process on a held clock and a real promtool (`promtool test rules`) from the same values as
// input series, and the alerts firing at every sample compared. The engine's timeline is also
// checked against the one written in each scenario, so a scenario that never fires fails.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "resync/alert_engine.hpp"
#include "resync/catalog.hpp"
#include "resync/views/prometheus_rules.hpp"
#include "resync/views/prometheus_text.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr auto kInterval = 5s;
constexpr const char* kDashboard = "http://dash.example:8123/monitoring";

// The series a scenario may feed, described as the plugins describe them.
SeriesLayout scenario_layout() {
  SeriesLayout layout;
  layout.add({"error_rate", "api", "api", {"error_rate", Unit::kPercent, Kind::kGauge, "Errors."}});
  layout.add(
      {"error_rate", "api2", "api", {"error_rate", Unit::kPercent, Kind::kGauge, "Errors."}});
  layout.add({"cache_hit_ratio",
              "redis",
              "cache",
              {"cache_hit_ratio", Unit::kPercent, Kind::kGauge, "Hits."}});
  layout.add({"cache_hits", "redis", "cache", {"cache_hits", Unit::kCount, Kind::kCounter, "H."}});
  layout.add(
      {"cache_misses", "redis", "cache", {"cache_misses", Unit::kCount, Kind::kCounter, "M."}});
  for (const SeriesDescription& d : host_series()) {
    if (d.name == kCollectorUp) layout.add({d.name, "api", "api", d});
  }
  return layout;
}

struct Scenario {
  const char* name;
  AlertRule rule;
  /// "metric" (its first instance) or "metric@instance" -> one value per sample
  std::map<std::string, std::vector<double>> values;
  /// What the engine must do, one letter per sample: the severity firing, W, C or '-' for none.
  std::string timeline;
};

// Named in failure messages instead of dumped as bytes.
void PrintTo(const Scenario& s, std::ostream* out) { *out << s.name; }

size_t column(const SeriesLayout& layout, const std::string& series) {
  const size_t at = series.find('@');
  if (at == std::string::npos) return *layout.find_first(series);
  return *layout.find(series.substr(0, at), series.substr(at + 1));
}

struct Firing {
  std::string alertname, severity, instance, metric;
  bool operator<(const Firing& o) const {
    return std::tie(alertname, severity, instance, metric) <
           std::tie(o.alertname, o.severity, o.instance, o.metric);
  }
};

struct EngineRun {
  std::vector<std::set<Firing>> firing;  ///< per sample
  std::map<size_t, Alert> fired;         ///< sample -> the alert that started firing there
  std::string timeline;
};

EngineRun run_engine(const Scenario& s, const SeriesLayout& layout) {
  AlertEngine engine({s.rule}, layout);
  const size_t samples = s.values.begin()->second.size();
  EngineRun run;
  std::set<Firing> now;
  std::vector<double> previous;
  for (size_t i = 0; i < samples; ++i) {
    std::vector<double> row(layout.size(), kNaN);
    for (const auto& [series, values] : s.values) row[column(layout, series)] = values[i];
    const int64_t t = static_cast<int64_t>(i) * 5000;
    for (const AlertEvent& e :
         engine.evaluate(t, row.data(), previous.empty() ? nullptr : previous.data())) {
      const Alert& a = e.alert;
      const Firing f{a.rule, to_string(a.severity), a.instance, a.type};
      if (a.state == AlertState::kFiring) {
        now.insert(f);
        run.fired[i] = a;
      } else if (a.state == AlertState::kResolved) {
        now.erase(f);
      }
    }
    previous = row;
    run.firing.push_back(now);
    char c = '-';
    for (const Firing& f : now) c = f.severity == "critical" ? 'C' : 'W';
    run.timeline += c;
  }
  return run;
}

std::string promtool_values(const std::vector<double>& values) {
  std::string out;
  for (double v : values) {
    if (!out.empty()) out += ' ';
    std::ostringstream n;
    n << v;
    out += std::isnan(v) ? "NaN" : n.str();
  }
  return out;
}

// Input series as a scrape with honor_labels leaves them: resync-mon's own instance (or
// collector) label and the job Prometheus adds.
std::string input_series(const Scenario& s, const SeriesLayout& layout) {
  std::string out = "    input_series:\n";
  for (const auto& [series, values] : s.values) {
    const SeriesKey& key = layout.key(column(layout, series));
    const std::string& metric = key.metric;
    const std::string labels = is_host_series(metric)
                                   ? "{collector=\"" + key.instance +
                                         "\", instance=\"127.0.0.1:9100\", job=\"resync-mon\"}"
                                   : "{instance=\"" + key.instance + "\", job=\"resync-mon\"}";
    out += "      - series: '" + views::exposition_name(key.description) + labels +
           "'\n        values: '" + promtool_values(values) + "'\n";
  }
  return out;
}

std::string expectations(const EngineRun& run) {
  std::string out = "    promql_expr_test:\n";
  for (size_t i = 0; i < run.firing.size(); ++i) {
    out += "      - expr: 'ALERTS{alertstate=\"firing\"}'\n        eval_time: " +
           std::to_string(i * 5) +
           "s\n        exp_samples:" + (run.firing[i].empty() ? " []\n" : "\n");
    for (const Firing& f : run.firing[i]) {
      out += "          - labels: 'ALERTS{alertname=\"" + f.alertname +
             "\", alertstate=\"firing\", instance=\"" + f.instance + "\", metric=\"" + f.metric +
             "\", severity=\"" + f.severity + "\"}'\n            value: 1\n";
    }
  }
  // Where an alert starts firing, Alertmanager would get the same summary from both senders.
  out += "    alert_rule_test:\n";
  for (const auto& [i, a] : run.fired) {
    // promtool lists every firing alert of the name, whose summaries follow the current value.
    if (run.firing[i].size() != 1) continue;
    const std::string value = std::isnan(a.value) ? "none" : [&] {
      std::ostringstream n;
      n.precision(4);
      n << a.value;
      return n.str();
    }();
    out += "      - eval_time: " + std::to_string(i * 5) + "s\n        alertname: " + a.rule +
           "\n        exp_alerts:\n          - exp_labels: {severity: " + to_string(a.severity) +
           ", instance: " + a.instance + ", metric: " + a.type +
           "}\n            exp_annotations:\n              summary: '" + a.message +
           "'\n              value: '" + value + "'\n              dashboard: '" + kDashboard +
           "'\n";
  }
  return out;
}

class PromtoolEquivalenceTest : public testing::TestWithParam<Scenario> {};

TEST_P(PromtoolEquivalenceTest, PrometheusFiresAndResolvesOnTheEnginesSamples) {
  const auto promtool = test::find_program("promtool");
  ASSERT_TRUE(promtool) << "promtool not found: install the Debian package `prometheus` "
                           "(scripts/deps --test)";
  const Scenario& s = GetParam();
  const SeriesLayout layout = scenario_layout();
  const EngineRun run = run_engine(s, layout);
  ASSERT_EQ(run.timeline, s.timeline) << "the engine itself";

  test::TempDir dir("resync-rules");
  views::RuleExport in{{s.rule}, layout.keys(), kInterval, kDashboard, "test"};
  test::write_file(dir.file("rules.yml"), views::render_prometheus_rules(in));
  test::write_file(dir.file("test.yml"),
                   "rule_files: [rules.yml]\nevaluation_interval: 5s\n"
                   "tests:\n  - interval: 5s\n" +
                       input_series(s, layout) + expectations(run));
  test::Process p({*promtool, "test", "rules", dir.file("test.yml")}, dir.file("promtool.log"));
  EXPECT_EQ(p.wait_exit(60s), std::optional<int>(0))
      << test::read_file(dir.file("promtool.log")) << "\nrules:\n"
      << test::read_file(dir.file("rules.yml")) << "\ntest:\n"
      << test::read_file(dir.file("test.yml"));
}

AlertRule rule_on(const char* metric, std::vector<AlertCondition> conditions) {
  AlertRule r;
  r.metric = metric;
  r.conditions = std::move(conditions);
  return r;
}

std::vector<Scenario> scenarios() {
  using C = Comparison;
  using S = Severity;
  const auto error_rate = [] {
    return rule_on("error_rate", {{S::kWarning, C::kAbove, 5}, {S::kCritical, C::kAtLeast, 10}});
  };
  std::vector<Scenario> out;
  // A missing value neither fires nor resolves, at either severity.
  out.push_back({"warning_critical",
                 error_rate(),
                 {{"error_rate", {0, 7, kNaN, 7, 12, kNaN, 12, 7, 0, kNaN, 10, 0}}},
                 "-WWWCCCW--C-"});
  AlertRule held = error_rate();
  held.for_duration = 10s;
  out.push_back(
      {"for", held, {{"error_rate", {0, 7, 7, 7, 0, 7, 7, 0, 7, 7, 7, 7, 0}}}, "---W------WW-"});
  // A change of severity while firing waits `for` before it replaces the firing alert.
  out.push_back({"severity_change_with_for",
                 held,
                 {{"error_rate", {0, 7, 7, 7, 12, 12, 12, 12, 7, 7, 7, 0, 12, 12, 12, 0}}},
                 "---WWWCCCCW---C-"});
  AlertRule clear = rule_on("error_rate", {{S::kWarning, C::kAbove, 5}});
  clear.clear[0] = 3;
  out.push_back({"clear", clear, {{"error_rate", {0, 6, 4, 4, 2, 4, 6, 3, 0}}}, "-WWW--W--"});
  // Each instance holds on its own alert, not on another instance's.
  out.push_back({"clear_two_instances",
                 clear,
                 {{"error_rate@api", {0, 6, 4, 2, 4, 0}}, {"error_rate@api2", {6, 4, 4, 6, 6, 2}}},
                 "WWWWW-"});
  AlertRule two_clears = error_rate();
  two_clears.clear = {3.0, 8.0};
  out.push_back({"clear_per_severity",
                 two_clears,
                 {{"error_rate", {0, 12, 9, 7, 4, 2, 4, 11, 7, 6, 12, 4, 2}}},
                 "-CCWW--CWWCW-"});
  AlertRule keep = rule_on("error_rate", {{S::kWarning, C::kAbove, 5}});
  keep.keep_firing_for = 10s;
  out.push_back({"keep_firing_for",
                 keep,
                 {{"error_rate", {0, 6, 0, 0, 0, 0, 6, 0, 6, 0, 0, 0}}},
                 "-WWW--WWWWW-"});
  return out;
}

// absent_for, guards and the host's series.
std::vector<Scenario> more_scenarios() {
  using C = Comparison;
  using S = Severity;
  std::vector<Scenario> out;
  AlertRule absent = rule_on("error_rate", {});
  absent.instance = "api";  // api2 has no value at all
  absent.absent_for = 15s;
  absent.absent_severity = S::kCritical;
  out.push_back({"absent_for",
                 absent,
                 {{"error_rate",
                   {1, kNaN, kNaN, kNaN, kNaN, 1, kNaN, kNaN, 1, kNaN, kNaN, kNaN, kNaN, kNaN}}},
                 "----C-------CC"});
  // absent_for beside a threshold of the same severity: one alert, as the engine has, since both
  // Prometheus rules give the same labels.
  AlertRule both = rule_on("error_rate", {{S::kWarning, C::kAbove, 5}});
  both.instance = "api";
  both.absent_for = 15s;
  out.push_back({"absent_for_and_threshold",
                 both,
                 {{"error_rate", {0, 7, kNaN, kNaN, kNaN, kNaN, 0, kNaN, kNaN, kNaN, kNaN, 7, 0}}},
                 "-WWWWW----WW-"});
  // With `for`, the absent branch's window is shortened by as much, so it still fires on time.
  AlertRule slow = both;
  slow.for_duration = 10s;
  slow.absent_for = 20s;
  out.push_back({"absent_for_with_for",
                 slow,
                 {{"error_rate", {0, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, 0, 7, 7, 7, 0}}},
                 "-----WW---W-"});
  AlertRule guarded = rule_on("cache_hit_ratio", {{S::kWarning, C::kBelow, 80}});
  guarded.guard = AlertGuard{{"cache_hits", "cache_misses"}, 100};
  out.push_back({"guard",
                 guarded,
                 {{"cache_hit_ratio", {90, 50, 50, 50, 50, 90, 50, 50, 90, 90}},
                  {"cache_hits", {0, 100, 150, 300, 300, 400, 250, kNaN, 500, 600}},
                  {"cache_misses", {0, 100, 100, 100, 100, 150, 160, 170, 180, 190}}},
                 "-W-W--WWW-"});
  AlertRule down = rule_on("collector_up", {{S::kWarning, C::kEquals, 0}});
  down.for_duration = 10s;
  out.push_back({"host_series", down, {{"collector_up", {1, 0, 0, 0, 0, 1}}}, "---WW-"});
  return out;
}

std::vector<Scenario> all_scenarios() {
  std::vector<Scenario> all = scenarios();
  for (Scenario& s : more_scenarios()) all.push_back(std::move(s));
  return all;
}

INSTANTIATE_TEST_SUITE_P(Rules, PromtoolEquivalenceTest, testing::ValuesIn(all_scenarios()),
                         [](const testing::TestParamInfo<Scenario>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace resync

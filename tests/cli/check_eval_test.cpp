// SPDX-License-Identifier: MIT
// The verdict of `resync-mon check` on snapshots of monitors built from the real plugins' series.
#include "check_eval.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "resync/monitor.hpp"
#include "scripted_collector.hpp"

namespace resync::cli {
namespace {

using testing::HasSubstr;
using testing::StartsWith;

constexpr int64_t kStart = 1'700'000'000'000;

// Every built plugin on a 1 s grid, `samples` samples from kStart; error_rate and
// response_time_p95 follow `error_rate(call)`, everything else is harmless.
MonitorSnapshot run(int samples, std::function<double(int call)> error_rate,
                    const std::string& alerts_yaml = "", bool tws_up = true) {
  test::ScriptedInstances all = test::all_plugins([&](const std::string& metric, int call) {
    if (metric == "error_rate") return error_rate(call);
    if (metric == "response_time_p95") return 120.0;
    if (metric == "tws_connected") return tws_up ? 1.0 : 0.0;
    if (metric == "cache_hit_ratio") return 95.0;
    return double(call);
  });
  Config config = parse_config("interval: 1s\nwindow: 10m\n" + alerts_yaml, ConfigFormat::kYaml,
                               "check_test.yaml");
  Monitor monitor(std::move(config), std::move(all.instances), std::move(all.collectors));
  for (int k = 0; k < samples; ++k) monitor.sample_now(kStart + k * 1000);
  MonitorSnapshot snap = monitor.snapshot();
  snap.source = "test";
  return snap;
}

int64_t newest(const MonitorSnapshot& s) { return s.store.timestamps_ms.back(); }

// The rules serve uses for these plugins: the host's and the built plugins' own defaults.
std::vector<AlertRule> default_rules() {
  std::vector<PluginInfo> plugins;
  for (const InstanceInfo& i :
       test::all_plugins([](const std::string&, int) { return 0.0; }).instances) {
    plugins.emplace_back();
    plugins.back().name = i.plugin;
    plugins.back().default_rules = i.default_rules;
  }
  return effective_alert_rules(Config{}, plugins);
}

CheckResult rules_check(const MonitorSnapshot& snap,
                        const std::vector<AlertRule>& rules = default_rules(),
                        AlertSource source = AlertSource::kReplay) {
  return evaluate_check(snap, rules, source, CheckOptions{}, newest(snap) + 500);
}

TEST(CheckEvalTest, OkWithPerfdataForEveryJudgedMetric) {
  const MonitorSnapshot snap = run(5, [](int) { return 1.25; });
  const CheckResult r = rules_check(snap);
  EXPECT_EQ(r.status, 0);
  // The default rules, in plugin order, the host's collector_up one judged on every instance.
  EXPECT_EQ(r.line,
            "RESYNC-MON OK - no alert (5 rules, sample of 2023-11-14T22:13:24Z) | "
            "'error_rate'=1.25%;~:5;~:10;0;100 'response_time_p95'=120ms;~:500;~:1000 "
            "'cache_hit_ratio'=95%;80:;;0;100 'tws_connected'=1;;@0:0;0;1 "
            "'collector_up{api}'=1;@0:0;;0;1 'collector_up{cache}'=1;@0:0;;0;1 "
            "'collector_up{agents}'=1;@0:0;;0;1 'collector_up{tws}'=1;@0:0;;0;1 "
            "'collector_up{system}'=1;@0:0;;0;1");
}

// 40 samples at 1 s: the plugins' defaults hold for 30 s before firing, and a replay honours it.
TEST(CheckEvalTest, WarningAndCriticalFromTheDefaultRules) {
  EXPECT_EQ(rules_check(run(20, [](int) { return 7.0; })).status, 0) << "held 20 s of the 30 s";
  const CheckResult warning = rules_check(run(40, [](int) { return 7.0; }));
  EXPECT_EQ(warning.status, 1);
  EXPECT_THAT(warning.line,
              StartsWith("RESYNC-MON WARNING - error_rate [api] is 7 % (warning when > 5 %) | "));
  const CheckResult critical = rules_check(run(
      40, [](int) { return 12.5; }, "", false));
  EXPECT_EQ(critical.status, 2);
  EXPECT_THAT(critical.line, StartsWith("RESYNC-MON CRITICAL - "));
  EXPECT_THAT(critical.line, HasSubstr("(+1 more)"))
      << "error_rate and tws_connected are both critical";
  EXPECT_THAT(critical.line, HasSubstr("'error_rate'=12.5%;~:5;~:10;0;100"));
}

// Replaying the window honours `for` as serve does; two local samples cannot, so there it is 0.
TEST(CheckEvalTest, ReplayHonoursForAndLocalSamplesIgnoreIt) {
  const std::string rules = "alerts:\n  - {metric: error_rate, above: {critical: 5}, for: 30s}\n";
  const MonitorSnapshot recent = run(
      40, [](int call) { return call > 30 ? 50.0 : 1.0; }, rules);
  const std::vector<AlertRule> configured =
      parse_config("interval: 1s\n" + rules, ConfigFormat::kYaml, "check_test.yaml").alerts;
  EXPECT_EQ(rules_check(recent, configured, AlertSource::kReplay).status, 0)
      << "held 10 s of the 30 s";
  EXPECT_EQ(rules_check(recent, configured, AlertSource::kReplayNoFor).status, 2);
  const MonitorSnapshot held = run(
      40, [](int call) { return call > 5 ? 50.0 : 1.0; }, rules);
  EXPECT_EQ(rules_check(held, configured, AlertSource::kReplay).status, 2);
}

TEST(CheckEvalTest, ServerVerdictComesFromItsActiveAlerts) {
  MonitorSnapshot snap = run(5, [](int) { return 1.0; });
  EXPECT_EQ(rules_check(snap, default_rules(), AlertSource::kSnapshotActive).status, 0);
  Alert a;
  a.severity = Severity::kCritical;
  a.message = "disk_full [host] is 100 (critical when >= 99)";
  snap.active.push_back(a);
  const CheckResult r = rules_check(snap, default_rules(), AlertSource::kSnapshotActive);
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.line,
              StartsWith("RESYNC-MON CRITICAL - disk_full [host] is 100 (critical when >= 99) | "));
}

TEST(CheckEvalTest, StaleOrEmptySourceIsUnknown) {
  const MonitorSnapshot snap = run(3, [](int) { return 1.0; });
  const CheckResult stale =
      evaluate_check(snap, default_rules(), AlertSource::kReplay, {}, newest(snap) + 3001);
  EXPECT_EQ(stale.status, 3);
  EXPECT_EQ(
      stale.line,
      "RESYNC-MON UNKNOWN - newest sample of test is 3 s old (2023-11-14T22:13:22Z), older than 3s "
      "(--max-age)");
  EXPECT_EQ(evaluate_check(snap, {}, AlertSource::kReplay, {}, newest(snap) + 3000).status, 0);
  CheckOptions patient;
  patient.max_age = std::chrono::minutes{2};
  EXPECT_EQ(evaluate_check(snap, {}, AlertSource::kReplay, patient, newest(snap) + 100'000).status,
            0);
  EXPECT_EQ(evaluate_check(run(0, [](int) { return 1.0; }), default_rules(), AlertSource::kReplay,
                           {}, kStart)
                .line,
            "RESYNC-MON UNKNOWN - no sample yet in test");
}

TEST(CheckEvalTest, OneMetricAgainstRanges) {
  const MonitorSnapshot snap = run(3, [](int) { return 7.5; });
  CheckOptions o;
  o.metric = "error_rate";
  o.warning = parse_nagios_range("5", nullptr);
  o.critical = parse_nagios_range("10", nullptr);
  CheckResult r = evaluate_check(snap, {}, AlertSource::kReplay, o, newest(snap));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(
      r.line,
      "RESYNC-MON WARNING - error_rate is 7.5 % (outside -w 5) | 'error_rate'=7.5%;5;10;0;100");
  o.critical = parse_nagios_range("@7:8", nullptr);
  r = evaluate_check(snap, {}, AlertSource::kReplay, o, newest(snap));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.line,
            "RESYNC-MON CRITICAL - error_rate is 7.5 % (outside -c @7:8) | "
            "'error_rate'=7.5%;5;@7:8;0;100");
  o.warning = parse_nagios_range("~:100", nullptr);
  o.critical.reset();
  EXPECT_EQ(evaluate_check(snap, {}, AlertSource::kReplay, o, newest(snap)).status, 0);
}

TEST(CheckEvalTest, MetricPerfdataUnitsAndInstances) {
  const MonitorSnapshot snap = run(3, [](int) { return 1.0; });
  CheckOptions o;
  o.metric = "collector_duration_ms";  // one per collector instance: labelled metric{instance}
  const CheckResult r = evaluate_check(snap, {}, AlertSource::kReplay, o, newest(snap));
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.line, HasSubstr("'collector_duration_ms{api}'="));
  EXPECT_THAT(r.line, HasSubstr("'collector_duration_ms{system}'="));
  EXPECT_THAT(r.line, testing::ContainsRegex("'collector_duration_ms\\{api\\}'=[0-9.]+ms "));
  o.metric = "requests_total";  // a counter: UOM c, min 0
  EXPECT_THAT(evaluate_check(snap, {}, AlertSource::kReplay, o, newest(snap)).line,
              testing::EndsWith("'requests_total'=3c;;;0"));
  o.metric = "process_rss_bytes";
  EXPECT_THAT(evaluate_check(snap, {}, AlertSource::kReplay, o, newest(snap)).line,
              testing::EndsWith("'process_rss_bytes'=3B"));
}

TEST(CheckEvalTest, UnknownMetricOrMissingValueIsUnknown) {
  MonitorSnapshot snap = run(3, [](int) { return std::nan(""); });
  CheckOptions o;
  o.metric = "eror_rate";
  CheckResult r = evaluate_check(snap, {}, AlertSource::kReplay, o, newest(snap));
  EXPECT_EQ(r.status, 3);
  EXPECT_THAT(r.line, StartsWith("RESYNC-MON UNKNOWN - no series \"eror_rate\" in test; known: "
                                 "requests_total, requests_per_sec, "));
  o.metric = "error_rate";
  o.critical = parse_nagios_range("10", nullptr);
  r = evaluate_check(snap, {}, AlertSource::kReplay, o, newest(snap));
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(
      r.line,
      "RESYNC-MON UNKNOWN - error_rate has no value in the newest sample (is collector api up?) | "
      "'error_rate'=U;;10;0;100");
}

TEST(CheckEvalTest, CollectorDownIsAWarning) {
  MonitorSnapshot snap = run(3, [](int) { return 1.0; });
  const std::vector<SeriesKey>& keys = snap.keys();
  for (size_t c = 0; c < keys.size(); ++c) {
    if (keys[c].metric == "collector_up" && keys[c].instance == "cache") {
      snap.store.values[c * snap.store.rows + snap.store.rows - 1] = 0;
    }
  }
  for (CollectorHealth& h : snap.health) {
    if (h.name == "cache") h.last_error = "connect 127.0.0.1:6379: connection refused";
  }
  const CheckResult r = rules_check(snap);
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(
      r.line,
      StartsWith("RESYNC-MON WARNING - collector cache is down: connect 127.0.0.1:6379: connection "
                 "refused | "));
}

TEST(CheckEvalTest, PerfdataLabelsAreQuotedAndValuesHaveNoExponent) {
  MonitorSnapshot snap = run(1, [](int) { return 1.0; });
  auto keys = std::make_shared<std::vector<SeriesKey>>(snap.keys());
  (*keys)[0].metric = "it's=odd";
  (*keys)[0].description.unit = Unit::kBytes;
  (*keys)[0].description.kind = Kind::kGauge;
  snap.series = keys;
  snap.store.values[0] = 123456789012.0;
  CheckOptions o;
  o.metric = "it's=odd";
  EXPECT_THAT(evaluate_check(snap, {}, AlertSource::kReplay, o, newest(snap)).line,
              testing::EndsWith("| 'it''s_odd'=123456789012B"));
  snap.store.values[0] = 0.000012;
  EXPECT_THAT(evaluate_check(snap, {}, AlertSource::kReplay, o, newest(snap)).line,
              testing::EndsWith("| 'it''s_odd'=0.000012B"));
}

TEST(CheckEvalTest, UnknownResultLine) {
  EXPECT_EQ(unknown_result("cannot reach http://x: connection refused").line,
            "RESYNC-MON UNKNOWN - cannot reach http://x: connection refused");
  EXPECT_EQ(unknown_result("x").status, 3);
}

}  // namespace
}  // namespace resync::cli

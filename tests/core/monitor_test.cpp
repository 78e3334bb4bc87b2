// SPDX-License-Identifier: MIT
#include "resync/monitor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <stdexcept>

#include "scripted_collector.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using test::described;
using test::ScriptedCollector;

Config config(const std::string& yaml) {
  return parse_config(yaml, ConfigFormat::kYaml, "monitor_test.yaml");
}

std::unique_ptr<Collector> emitting(std::string metric, double value) {
  return std::make_unique<ScriptedCollector>(
      [metric, value](SampleSink& s, int) { s.emit(metric, value); });
}

std::unique_ptr<Collector> failing() {
  return std::make_unique<ScriptedCollector>(
      [](SampleSink&, int call) { throw CollectError("down since call " + std::to_string(call)); });
}

TEST(MonitorTest, ReadyCollectorsShapeLayoutAndStore) {
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(emitting("host_load1", 0.5));
  collectors.push_back(emitting("error_rate", 1));
  Monitor monitor(
      config("interval: 1s\nwindow: 1m\n"),
      {{"system", "system", {"host_load1", "system_availability"}}, {"api", "api", {"error_rate"}}},
      std::move(collectors));
  std::vector<std::string> columns;
  for (const SeriesKey& k : monitor.layout().keys())
    columns.push_back(k.metric + "/" + k.instance + "/" + k.plugin);
  EXPECT_THAT(columns,
              testing::ElementsAre("host_load1/system/system", "system_availability/system/system",
                                   "collector_up/system/system",
                                   "collector_duration_ms/system/system", "error_rate/api/api",
                                   "collector_up/api/api", "collector_duration_ms/api/api"));
  EXPECT_EQ(monitor.store().capacity(), 60u);
  EXPECT_EQ(monitor.store().series_count(), 7u);
  ASSERT_EQ(monitor.instances().size(), 2u);
  EXPECT_EQ(monitor.instances()[1].name, "api");

  monitor.sample_now(1000);
  const StoreSnapshot snap = monitor.store().snapshot();
  EXPECT_EQ(snap.at(0, 0), 0.5);
  EXPECT_EQ(snap.at(4, 0), 1);
  EXPECT_EQ(snap.at(2, 0), 1);
  EXPECT_EQ(snap.at(5, 0), 1);
}

TEST(MonitorTest, RejectsMismatchedReadyCollectors) {
  std::vector<std::unique_ptr<Collector>> one;
  one.push_back(emitting("host_load1", 1));
  EXPECT_THROW(Monitor(config(""), {}, std::move(one)), std::invalid_argument);

  std::vector<std::unique_ptr<Collector>> null_one(1);
  EXPECT_THROW(Monitor(config(""), {{"a", "system", {}}}, std::move(null_one)),
               std::invalid_argument);

  std::vector<std::unique_ptr<Collector>> two;
  two.push_back(emitting("host_load1", 1));
  two.push_back(emitting("host_load1", 1));
  EXPECT_THROW(Monitor(config(""), {{"a", "system", {}}, {"a", "system", {}}}, std::move(two)),
               std::invalid_argument);
}

TEST(MonitorTest, AvailabilityIsTheShareOfSuccessfulRunsOverTheWindow) {
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(emitting("host_load1", 0.5));
  collectors.push_back(failing());
  Monitor monitor(
      config("interval: 1s\nwindow: 3s\n"),
      {{"system", "system",
        described("system", {"host_load1", "system_availability", "async_operations_active"})},
       {"tws", "tws", described("tws", {"tws_connected"})}},
      std::move(collectors));
  const size_t availability = *monitor.layout().find("system_availability", "system");
  const size_t async_ops = *monitor.layout().find("async_operations_active", "system");
  auto latest = [&](size_t c) { return monitor.store().snapshot(1).at(c, 0); };

  monitor.sample_now(1000);  // system ok, tws fails: 1 of 2
  EXPECT_DOUBLE_EQ(latest(availability), 50);
  EXPECT_EQ(latest(async_ops), 0);
  monitor.sample_now(2000);  // tws backs off: 2 of 3
  EXPECT_DOUBLE_EQ(latest(availability), 200.0 / 3);
  monitor.sample_now(3000);  // tws fails again: 3 of 5
  EXPECT_DOUBLE_EQ(latest(availability), 60);
  monitor.sample_now(4000);  // the window of 3 samples forgets the first: 3 ok of 4 runs
  EXPECT_DOUBLE_EQ(latest(availability), 75);
  EXPECT_EQ(monitor.sampler().health()[1].last_error, "down since call 2");
}

TEST(MonitorTest, AlertsAreEvaluatedBeforeListenersRun) {
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(std::make_unique<ScriptedCollector>(
      [](SampleSink& s, int call) { s.emit("error_rate", call == 2 ? 12 : 1); }));
  Monitor monitor(
      config("interval: 1s\nalerts:\n  - {metric: error_rate, at_least: {critical: 10}}\n"),
      {{"api", "api", {"error_rate"}}}, std::move(collectors));
  std::vector<size_t> active_seen;
  monitor.add_listener([&](int64_t) { active_seen.push_back(monitor.alerts().active().size()); });
  monitor.sample_now(1000);
  monitor.sample_now(2000);
  monitor.sample_now(3000);
  EXPECT_THAT(active_seen, testing::ElementsAre(0u, 1u, 0u));
  const auto recent = monitor.alerts().recent();
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].severity, Severity::kCritical);
  EXPECT_EQ(recent[0].timestamp_ms, 2000);
  EXPECT_EQ(recent[0].resolved_at_ms, 3000);
}

TEST(MonitorTest, SecretsAreScrubbedFromCollectorErrors) {
  setenv("RESYNC_TEST_MONITOR_PW", "pa55word", 1);
  Config c = config(
      "interval: 1s\ncollectors:\n  - {plugin: x, password: \"${RESYNC_TEST_MONITOR_PW}\"}\n");
  unsetenv("RESYNC_TEST_MONITOR_PW");
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(std::make_unique<ScriptedCollector>(
      [](SampleSink&, int) { throw CollectError("login as admin:pa55word refused"); }));
  Monitor monitor(std::move(c), {{"x", "x", {}}}, std::move(collectors));
  monitor.sample_now(1000);
  EXPECT_EQ(monitor.sampler().health()[0].last_error, "login as admin:*** refused");
}

// Rules are checked against the series the loaded plugins declare, with file, line and key.
TEST(MonitorTest, RulesMayOnlyNameSeriesAConfiguredPluginDeclares) {
  auto load = [](const std::string& rule) {
    return Monitor(parse_config("plugin_dir: " RESYNC_PLUGIN_BUILD_DIR
                                "\ncollectors:\n  - plugin: system\nalerts:\n" +
                                    rule,
                                ConfigFormat::kYaml, "rules.yaml"));
  };
  EXPECT_NO_THROW(load("  - {metric: host_cpu_percent, above: {warning: 90}}\n"));
  EXPECT_NO_THROW(load("  - {metric: collector_up, equals: {warning: 0}}\n"));
  try {
    load("  - {metric: cpu_percent, above: {warning: 90}}\n");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), testing::StartsWith(
                              "rules.yaml:5: alerts[0].metric: no configured collector provides "
                              "\"cpu_percent\"; known: system_uptime, system_availability"));
  }
  // The cache plugin exists, but no cache collector is configured: the error says which to add
  // (issue 15: README's example config, copied as is, had an error_rate rule and no api).
  try {
    load("  - {metric: cache_hit_ratio, below: {warning: 80}}\n");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), testing::StartsWith(
                              "rules.yaml:5: alerts[0].metric: no configured collector provides "
                              "\"cache_hit_ratio\"; the cache plugin provides it: add a collector "
                              "`- plugin: cache`, or remove this rule; known: "));
  }
}

// A rule on one instance's series: the instance must exist and provide the metric.
TEST(MonitorTest, RulesOnOneInstanceNameAnInstanceThatHasTheSeries) {
  auto load = [](const std::string& rule) {
    return Monitor(parse_config("plugin_dir: " RESYNC_PLUGIN_BUILD_DIR
                                "\ncollectors:\n  - {plugin: system, name: host}\n"
                                "alerts:\n" +
                                    rule,
                                ConfigFormat::kYaml, "rules.yaml"));
  };
  auto error = [&](const std::string& rule) -> std::string {
    try {
      load(rule);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error("  - {metric: host_cpu_percent, instance: host, above: {warning: 90}}\n"), "");
  EXPECT_EQ(error("  - {metric: collector_up, instance: host, equals: {warning: 0}}\n"), "");
  EXPECT_EQ(error("  - metric: host_cpu_percent\n    instance: redis\n    above: {warning: 90}\n"),
            "rules.yaml:6: alerts[0].instance: no collector instance is named \"redis\"; "
            "configured: host");
  EXPECT_THAT(
      error("  - {metric: error_rate, instance: host, above: {warning: 5}}\n"),
      testing::StartsWith(
          "rules.yaml:5: alerts[0].metric: no configured collector provides \"error_rate\""));
}

// One engine outage under load: every other run of the collector fails (its series are then
// missing) between runs that report the engine down. One alert, resolved once it is back.
TEST(MonitorTest, AnOutageWithFailedRunsInBetweenIsOneAlert) {
  std::atomic<bool> down{false};
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(std::make_unique<ScriptedCollector>([&down](SampleSink& s, int call) {
    if (!down) return s.emit("tws_connected", 1);
    if (call % 2) throw CollectError("no result within its deadline");
    s.emit("tws_connected", 0);
  }));
  // The tws plugin's own default rule, as serve would use it.
  Monitor monitor(config("interval: 1s\n"), {test::built_plugin_instance("tws")},
                  std::move(collectors));
  int64_t t = 1000;
  monitor.sample_now(t);
  down = true;
  for (int i = 0; i < 120; ++i) monitor.sample_now(t += 1000);
  down = false;
  for (int i = 0; i < 120 && !monitor.alerts().active().empty(); ++i) monitor.sample_now(t += 1000);
  size_t tws_alerts = 0;
  for (const Alert& a : monitor.alerts().recent()) tws_alerts += a.type == "tws_connected";
  EXPECT_EQ(tws_alerts, 1u);
  EXPECT_TRUE(monitor.alerts().active().empty());
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
// /api/monitoring/alerts with pending, firing and flapping alerts and their events, and the
// notifiers' delivery state in /api/monitoring/health and /metrics.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "resync/monitor.hpp"
#include "resync/views/json.hpp"
#include "resync/views/prometheus_text.hpp"
#include "scripted_collector.hpp"
#include "test_support.hpp"
#include "views_support.hpp"

namespace resync {
namespace {

using Poco::JSON::Object;

using test::parse_object;

TEST(ViewsAlertsTest, CurrentAlertsAreListedApartFromTheHistory) {
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(std::make_unique<test::ScriptedCollector>([](SampleSink& s, int call) {
    s.emit("x", call >= 2 ? 9 : 1);
    s.emit("y", 9);
  }));
  const std::string yaml =
      "interval: 1s\nalerts:\n"
      "  - {metric: x, name: x_high, above: {critical: 5}}\n"
      "  - {metric: y, above: {warning: 5}, for: 1m}\n";
  Monitor monitor(parse_config(yaml, ConfigFormat::kYaml, "t.yaml"), {{"a", "p", {"x", "y"}}},
                  std::move(collectors));
  monitor.sample_now(1000);
  monitor.sample_now(2000);
  const auto doc = parse_object(views::render_alerts(monitor.snapshot(1)));

  // Compatible fields: the history of alerts that fired, its size, and a number of active ones.
  EXPECT_EQ(doc->getValue<int>("count"), 1);
  EXPECT_EQ(doc->getValue<int>("active"), 1);
  const auto alerts = doc->getArray("alerts");
  ASSERT_EQ(alerts->size(), 1u);
  const auto fired = alerts->getObject(0);
  EXPECT_EQ(fired->getValue<std::string>("rule"), "x_high");
  EXPECT_EQ(fired->getValue<std::string>("type"), "x");
  EXPECT_EQ(fired->getValue<std::string>("state"), "firing");
  EXPECT_EQ(fired->getValue<double>("threshold"), 5);
  EXPECT_FALSE(fired->getValue<bool>("absent"));

  // current: pending and firing alike, newest first, each with its state.
  const auto current = doc->getArray("current");
  ASSERT_EQ(current->size(), 2u);
  EXPECT_EQ(current->getObject(0)->getValue<std::string>("rule"), "x_high");
  EXPECT_EQ(current->getObject(1)->getValue<std::string>("rule"), "y");
  EXPECT_EQ(current->getObject(1)->getValue<std::string>("state"), "pending");
  EXPECT_FALSE(current->getObject(1)->getValue<bool>("active"));

  // events: every transition, newest first.
  const auto events = doc->getArray("events");
  ASSERT_EQ(events->size(), 2u);
  const auto newest = events->getObject(0);
  EXPECT_EQ(newest->getValue<int>("sequence"), 2);
  EXPECT_EQ(newest->getValue<std::string>("state"), "firing");
  EXPECT_EQ(newest->getValue<std::string>("previous"), "inactive");
  EXPECT_EQ(newest->getValue<std::string>("rule"), "x_high");
  EXPECT_EQ(newest->getValue<std::string>("instance"), "a");
  EXPECT_EQ(newest->getValue<std::string>("severity"), "critical");
  EXPECT_EQ(newest->getValue<double>("value"), 9);
  EXPECT_EQ(newest->getValue<std::string>("at"), "1970-01-01T00:00:02Z");
  EXPECT_EQ(events->getObject(1)->getValue<std::string>("state"), "pending");
}

MonitorSnapshot with_notifiers() {
  MonitorSnapshot s;
  NotifierHealth am;
  am.name = "alertmanager";
  am.kind = "alertmanager";
  am.url = "http://127.0.0.1:9093/api/v2/alerts";
  am.sent = 12;
  am.last_success_ms = 1'700'000'000'500;
  NotifierHealth hook;
  hook.name = "ops-hook";
  hook.kind = "webhook";
  hook.url = "https://hooks.example.com/resync";
  hook.queued = 3;
  hook.dropped = 7;
  hook.failed = 1;
  hook.last_error = "POST https://hooks.example.com/resync: timed out after 5000 ms";
  hook.last_error_ms = 1'700'000'001'000;
  s.notifiers = {am, hook};
  return s;
}

TEST(ViewsAlertsTest, HealthShowsEachNotifiersDeliveryState) {
  const auto health = parse_object(views::render_health(with_notifiers()));
  const auto notify = health->getObject("notify");
  ASSERT_EQ(notify->size(), 2u);
  const auto am = notify->getObject("alertmanager");
  EXPECT_EQ(am->getValue<std::string>("kind"), "alertmanager");
  EXPECT_EQ(am->getValue<int>("sent"), 12);
  EXPECT_EQ(am->getValue<std::string>("last_success"), "2023-11-14T22:13:20Z");
  EXPECT_TRUE(am->isNull("last_error_at"));
  EXPECT_EQ(am->getValue<std::string>("last_error"), "");
  const auto hook = notify->getObject("ops-hook");
  EXPECT_EQ(hook->getValue<int>("queued"), 3);
  EXPECT_EQ(hook->getValue<int>("dropped"), 7);
  EXPECT_EQ(hook->getValue<int>("failed"), 1);
  EXPECT_TRUE(hook->isNull("last_success"));
  EXPECT_THAT(hook->getValue<std::string>("last_error"), testing::HasSubstr("timed out"));
  EXPECT_EQ(hook->getValue<std::string>("url"), "https://hooks.example.com/resync");

  // Without notifiers the object is there and empty.
  EXPECT_EQ(parse_object(views::render_health(MonitorSnapshot{}))->getObject("notify")->size(), 0u);
}

TEST(ViewsAlertsTest, MetricsShowEachNotifiersDeliveryState) {
  const std::string text = views::render_prometheus(with_notifiers());
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  EXPECT_THAT(
      lines, testing::IsSupersetOf({
                 "# TYPE resync_mon_notify_queued gauge",
                 "resync_mon_notify_queued{notifier=\"ops-hook\"} 3",
                 "# TYPE resync_mon_notify_dropped_total counter",
                 "resync_mon_notify_dropped_total{notifier=\"ops-hook\"} 7",
                 "resync_mon_notify_sent_total{notifier=\"alertmanager\"} 12",
                 "resync_mon_notify_failed_total{notifier=\"ops-hook\"} 1",
                 "resync_mon_notify_last_success_timestamp_seconds{notifier=\"alertmanager\"} "
                 "1700000000.5",
                 "resync_mon_notify_last_error_timestamp_seconds{notifier=\"ops-hook\"} 1700000001",
             }));

  test::expect_promtool_accepts(text);
}

}  // namespace
}  // namespace resync

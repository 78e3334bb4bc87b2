// SPDX-License-Identifier: MIT
// Alertmanager notifiers: the payload a receiver gets, a real Alertmanager (Debian's
// prometheus-alertmanager) on loopback, and the dashboard link that serve's bound address gives.
#include <set>

#include "notify_test_util.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using test::eventually;
using test::one_series;
using test::parse_json;
using test::Receiver;
using test::rule_x;
using test::webhook;

// What an Alertmanager notifier posts, read by a stand-in receiver: batches of alerts with labels,
// annotations, startsAt and endsAt; an alert whose severity changes ends under its old labels.
TEST(NotifierTest, AlertmanagerPayloadFollowsEachAlertsLabels) {
  Receiver receiver([](int) { return 200; });
  NotifierConfig c = webhook(receiver.url());
  c.kind = NotifierConfig::Kind::kAlertmanager;
  c.resend = 1h;
  Notifier notifier(c, "http://mon.example/monitoring", {});
  AlertEvent e;
  e.sequence = 1;
  e.at_ms = 1'700'000'000'000;
  e.alert.rule = "x_high";
  e.alert.type = "x";
  e.alert.instance = "a";
  e.alert.id = 7;
  e.alert.severity = Severity::kWarning;
  e.alert.state = AlertState::kFlapping;
  e.alert.started_at_ms = e.at_ms - 5000;
  e.alert.message = "x [a] is flapping";
  notifier.enqueue(e);
  AlertEvent settled = e;
  settled.sequence = 2;
  settled.previous = AlertState::kFlapping;
  settled.at_ms += 60000;
  settled.alert.severity = Severity::kCritical;
  settled.alert.state = AlertState::kFiring;
  notifier.enqueue(settled);
  AlertEvent pending;  // never fired: not Alertmanager's business
  pending.alert.state = AlertState::kPending;
  notifier.enqueue(pending);
  notifier.start();
  ASSERT_TRUE(
      eventually([&] { return notifier.health().queued == 0 && receiver.requests() >= 1; }));
  ASSERT_EQ(receiver.accepted().size(), 1u);  // one batch
  const auto alerts = parse_json(receiver.accepted()[0]).extract<Poco::JSON::Array::Ptr>();
  ASSERT_EQ(alerts->size(), 2u);
  const auto ended = alerts->getObject(0);
  EXPECT_EQ(ended->getObject("labels")->getValue<std::string>("severity"), "warning");
  EXPECT_EQ(ended->getValue<std::string>("endsAt"), "2023-11-14T22:14:20.000Z");
  const auto firing = alerts->getObject(1);
  const auto labels = firing->getObject("labels");
  EXPECT_EQ(labels->getValue<std::string>("alertname"), "x_high");
  EXPECT_EQ(labels->getValue<std::string>("severity"), "critical");
  EXPECT_EQ(labels->getValue<std::string>("instance"), "a");
  EXPECT_EQ(labels->getValue<std::string>("metric"), "x");
  EXPECT_EQ(firing->getObject("annotations")->getValue<std::string>("state"), "firing");
  EXPECT_EQ(firing->getValue<std::string>("startsAt"), "2023-11-14T22:13:15.000Z");
  // Four resends ahead: hours here.
  EXPECT_GT(firing->getValue<std::string>("endsAt"),
            format_rfc3339_ms(wall_clock_ms() + 3 * 3600 * 1000));
  EXPECT_EQ(firing->getValue<std::string>("generatorURL"), "http://mon.example/monitoring");
}

Poco::JSON::Object::Ptr find_alert(const test::Alertmanager& am, const std::string& name) {
  const auto alerts = parse_json(am.alerts_json()).extract<Poco::JSON::Array::Ptr>();
  for (size_t i = 0; alerts && i < alerts->size(); ++i) {
    auto a = alerts->getObject(static_cast<unsigned>(i));
    if (a->getObject("labels")->getValue<std::string>("alertname") == name) return a;
  }
  return nullptr;
}

TEST(AlertmanagerTest, RuleFiresInAlertmanagerAndResolvedAlertLeavesIt) {
  test::Alertmanager am;
  std::atomic<double> value{1};
  const std::string yaml =
      "interval: 100ms\nwindow: 1m\nnotify:\n  dashboard_url: "
      "\"http://mon.example:8000/monitoring\"\n"
      "  alertmanager: {url: \"" +
      am.url() + "\", resend: 1s, backoff: 100ms}\n" +
      "alerts:\n  - {metric: x, name: x_high, above: {critical: 5}, for: 300ms}\n";
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(std::make_unique<test::ScriptedCollector>(
      [&value](SampleSink& s, int) { s.emit("x", value.load()); }));
  Monitor monitor(parse_config(yaml, ConfigFormat::kYaml, "t.yaml"), {{"a", "p", {"x"}}},
                  std::move(collectors));
  monitor.start();
  value = 9;
  Poco::JSON::Object::Ptr alert;
  ASSERT_TRUE(eventually([&] { return (alert = find_alert(am, "x_high")) != nullptr; }))
      << am.log();
  const auto labels = alert->getObject("labels");
  EXPECT_EQ(labels->getValue<std::string>("severity"), "critical");
  EXPECT_EQ(labels->getValue<std::string>("instance"), "a");
  EXPECT_EQ(labels->getValue<std::string>("metric"), "x");
  EXPECT_THAT(alert->getObject("annotations")->getValue<std::string>("summary"),
              testing::StartsWith("x [a] is 9"));
  EXPECT_EQ(alert->getValue<std::string>("generatorURL"), "http://mon.example:8000/monitoring");

  // Re-posted while firing: it is still listed, and processed, after two resends (1 s apart).
  // Alertmanager stamps updatedAt at each post it receives, so two new stamps are two resends.
  std::set<std::string> posts{alert->getValue<std::string>("updatedAt")};
  ASSERT_TRUE(eventually([&] {
    if (auto a = find_alert(am, "x_high")) posts.insert(a->getValue<std::string>("updatedAt"));
    return posts.size() >= 3;
  })) << am.log();
  alert = find_alert(am, "x_high");
  ASSERT_TRUE(alert);
  EXPECT_EQ(alert->getObject("status")->getValue<std::string>("state"), "active");

  value = 1;
  EXPECT_TRUE(eventually([&] { return find_alert(am, "x_high") == nullptr; })) << am.log();
  // Alertmanager may show the resolve before the notifier has read its answer and counted it.
  NotifierHealth h;
  EXPECT_TRUE(eventually([&] { return (h = monitor.notifiers().at(0)->health()).sent >= 2; }))
      << "firing and resolved: sent " << h.sent;
  monitor.stop();
  EXPECT_EQ(h.failed, 0u);
  EXPECT_EQ(h.last_error, "");
}

// Without notify.dashboard_url the link follows the address serve actually bound (port 0 is
// resolved by then), not the configured "127.0.0.1:0".
TEST(NotifierTest, DashboardLinkFollowsTheBoundAddress) {
  Receiver receiver([](int) { return 200; });
  std::atomic<double> value{1};
  const std::string yaml =
      "interval: 100ms\nwindow: 1m\nserver: {bind: \"127.0.0.1:0\"}\n"
      "notify:\n  webhook: {url: \"" +
      receiver.url() +
      "\"}\n"
      "alerts:\n  - {metric: x, above: {critical: 5}}\n";
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(std::make_unique<test::ScriptedCollector>(
      [&value](SampleSink& s, int) { s.emit("x", value.load()); }));
  Monitor monitor(parse_config(yaml, ConfigFormat::kYaml, "t.yaml"), {{"a", "p", {"x"}}},
                  std::move(collectors));
  monitor.set_listen_address("127.0.0.1:43210");
  monitor.start();
  value = 9;
  ASSERT_TRUE(eventually([&] { return !receiver.accepted().empty(); }));
  monitor.stop();
  const auto doc = parse_json(receiver.accepted().front()).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(doc->getValue<std::string>("dashboard_url"), "http://127.0.0.1:43210/monitoring");
}

}  // namespace
}  // namespace resync

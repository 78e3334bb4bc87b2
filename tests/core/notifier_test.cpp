// SPDX-License-Identifier: MIT
// Webhook notifiers against real HTTP peers: a receiver that refuses and then accepts, one that
// never answers, and a restart through the state file.
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

TEST(NotifierTest, WebhookGetsEveryTransitionOnceAndInOrder) {
  // Refuses the first three attempts (503), then accepts everything.
  Receiver receiver([](int n) { return n <= 3 ? 503 : 200; });
  Notifier notifier(webhook(receiver.url()), "http://mon.example/monitoring", {});
  notifier.start();
  const SeriesLayout layout = one_series();
  AlertEngine engine({rule_x(10s)}, layout);
  engine.set_listener([&](const AlertEvent& e) { notifier.enqueue(e); });
  // Seconds and values: pending, resolved (from pending), pending, firing after 10 s, resolved,
  // pending, and the seventh change in 16 s makes it flap.
  for (auto [t, v] : std::vector<std::pair<int64_t, double>>{
           {0, 1}, {1, 9}, {2, 1}, {3, 9}, {13, 9}, {14, 1}, {15, 9}, {16, 1}}) {
    const double row[] = {v};
    engine.evaluate(t * 1000, row, nullptr);
  }
  const auto events = engine.events();
  ASSERT_EQ(events.size(), 7u);
  ASSERT_TRUE(eventually([&] { return receiver.accepted().size() >= events.size(); }));
  // Stopped, the notifier can send nothing more: what the receiver holds is final, no margin of
  // time waited out.
  notifier.stop();
  const auto bodies = receiver.accepted();
  ASSERT_EQ(bodies.size(), events.size());
  EXPECT_EQ(receiver.requests(), int(events.size()) + 3);
  EXPECT_EQ(receiver.content_type(), "application/json");
  std::vector<std::string> states;
  for (size_t i = 0; i < bodies.size(); ++i) {
    const auto doc = parse_json(bodies[i]).extract<Poco::JSON::Object::Ptr>();
    const AlertEvent& e = events[events.size() - 1 - i];  // events() is newest first
    EXPECT_EQ(doc->getValue<int>("version"), 1);
    EXPECT_EQ(doc->getValue<uint64_t>("sequence"), e.sequence);
    EXPECT_EQ(doc->getValue<std::string>("rule"), "x_high");
    EXPECT_EQ(doc->getValue<std::string>("instance"), "a");
    EXPECT_EQ(doc->getValue<std::string>("dashboard_url"), "http://mon.example/monitoring");
    states.push_back(doc->getValue<std::string>("state"));
  }
  EXPECT_THAT(states, testing::ElementsAre("pending", "resolved", "pending", "firing", "resolved",
                                           "pending", "flapping"));
  const NotifierHealth h = notifier.health();
  EXPECT_EQ(h.sent, events.size());
  EXPECT_EQ(h.failed, 0u);
  EXPECT_EQ(h.dropped, 0u);
  EXPECT_EQ(h.queued, 0u);
  EXPECT_GT(h.last_success_ms, 0);
  EXPECT_THAT(h.last_error, testing::HasSubstr("HTTP 503"));
}

TEST(NotifierTest, GivesUpAfterItsRetriesAndAtOnceOnAClientError) {
  Receiver unavailable([](int) { return 503; });
  NotifierConfig c = webhook(unavailable.url());
  c.retries = 2;
  Notifier retrying(c, "", {});
  retrying.start();
  AlertEvent e;
  e.alert.state = AlertState::kFiring;
  retrying.enqueue(e);
  ASSERT_TRUE(eventually([&] { return retrying.health().failed == 1; }));
  EXPECT_EQ(unavailable.requests(), 3);

  Receiver refusing([](int) { return 400; });
  Notifier refused(webhook(refusing.url()), "", {});
  refused.start();
  refused.enqueue(e);
  refused.enqueue(e);
  ASSERT_TRUE(eventually([&] { return refused.health().failed == 2; }));
  EXPECT_EQ(refusing.requests(), 2);
}

TEST(NotifierTest, SecretsNeverReachTheKeptError) {
  test::Blackhole hole;
  NotifierConfig c =
      webhook("http://hook:s3cr3t@127.0.0.1:" + std::to_string(hole.port()) + "/x?token=qwerty");
  c.timeout = 100ms;
  c.retries = 0;
  Notifier notifier(c, "", {"s3cr3t", "qwerty"});
  notifier.start();
  notifier.enqueue(AlertEvent{});
  ASSERT_TRUE(eventually([&] { return notifier.health().failed == 1; }));
  const NotifierHealth h = notifier.health();
  EXPECT_THAT(h.last_error, testing::HasSubstr("timed out"));
  EXPECT_THAT(h.last_error + h.url, testing::Not(testing::HasSubstr("s3cr3t")));
  EXPECT_THAT(h.last_error, testing::Not(testing::HasSubstr("qwerty")));
}

// A receiver that accepts connections and never answers: the sampler keeps its grid, and the
// queue stays at its bound, dropping the oldest.
TEST(NotifierTest, ReceiverThatNeverAnswersDelaysNoSample) {
  test::Blackhole hole;
  const std::string yaml =
      "interval: 50ms\nwindow: 1m\nnotify:\n  webhook: {url: \"http://127.0.0.1:" +
      std::to_string(hole.port()) + "/hook\", timeout: 1s, queue: 5, retries: 100}\n" +
      "alerts:\n  - {metric: x, above: {warning: 0.5}}\n";
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(std::make_unique<test::ScriptedCollector>(
      [](SampleSink& s, int call) { s.emit("x", call % 2); }));
  Monitor monitor(parse_config(yaml, ConfigFormat::kYaml, "t.yaml"), {{"a", "p", {"x"}}},
                  std::move(collectors));
  std::mutex mutex;
  std::vector<int64_t> grid, lag;
  monitor.add_listener([&](int64_t t) {
    std::lock_guard lock(mutex);
    grid.push_back(t);
    lag.push_back(wall_clock_ms() - t);
  });
  monitor.start();
  // Enough samples to see gaps and enough events to overflow the queue of five several times.
  NotifierHealth h;
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return grid.size() >= 30 && (h = monitor.notifiers().at(0)->health()).dropped >= 20;
  }));
  monitor.stop();

  std::lock_guard lock(mutex);
  ASSERT_GE(grid.size(), 30u);
  // A sampler that waited on the receiver would show its 1 s timeout as a gap and as lag; a
  // loaded machine shows tens of milliseconds at most, so half the timeout tells them apart.
  for (size_t i = 1; i < grid.size(); ++i) EXPECT_LT(grid[i] - grid[i - 1], 500) << "sample " << i;
  EXPECT_LT(*std::max_element(lag.begin(), lag.end()), 500) << "a sample waited on the receiver";
  EXPECT_LE(h.queued, 6u);  // the queue plus the one in flight
  EXPECT_GE(h.dropped, 20u);
  EXPECT_EQ(h.sent, 0u);
}

// A restart during an active alert (its state saved and restored): Alertmanager hears of it again
// at once, as its clients must repeat firing alerts anyway; the webhook gets nothing twice.
TEST(NotifierTest, RestoredAlertsGoToAlertmanagerAgainButNotToWebhooks) {
  Receiver am([](int) { return 200; });
  Receiver hook([](int) { return 200; });
  const std::string yaml = "interval: 1h\nwindow: 2h\nnotify:\n  alertmanager: {url: \"" +
                           am.url() + "\"}\n  webhook: {url: \"" + hook.url() + "\"}\n" +
                           "alerts:\n  - {metric: x, name: x_high, above: {critical: 5}}\n";
  auto monitor = [&] {
    std::vector<std::unique_ptr<Collector>> collectors;
    collectors.push_back(
        std::make_unique<test::ScriptedCollector>([](SampleSink& s, int) { s.emit("x", 9); }));
    return std::make_unique<Monitor>(parse_config(yaml, ConfigFormat::kYaml, "t.yaml"),
                                     std::vector<InstanceInfo>{{"a", "p", {"x"}}},
                                     std::move(collectors));
  };
  std::string saved;
  {
    auto before = monitor();
    before->sample_now(3'600'000);
    ASSERT_EQ(before->alerts().active().size(), 1u);
    saved = before->alerts().save_state();
  }
  auto after = monitor();
  after->alerts().restore_state(saved);
  after->start();  // the first sample is up to an hour away
  ASSERT_TRUE(eventually([&] { return am.accepted().size() == 1; })) << am.requests();
  const auto posted = parse_json(am.accepted()[0]).extract<Poco::JSON::Array::Ptr>();
  ASSERT_EQ(posted->size(), 1u);
  EXPECT_EQ(posted->getObject(0)->getObject("labels")->getValue<std::string>("alertname"),
            "x_high");
  // Both notifiers had the restored state at start(), and the next sample is an hour away: a
  // webhook with nothing queued or in flight has nothing left to send (no margin waited out).
  for (const auto& n : after->notifiers()) {
    if (n->health().kind == "webhook") {
      EXPECT_EQ(n->health().queued, 0u);
    }
  }
  after->stop();
  EXPECT_EQ(hook.requests(), 0);
  EXPECT_EQ(am.requests(), 1);
}

// The same through the state file, as `serve` restarts: the alert keeps its episode (id, start)
// and the webhook hears of it once when it fires and once when it resolves, after the restart.
TEST(NotifierTest, RestartThroughTheStateFileKeepsTheEpisodeAndSendsNothingTwice) {
  Receiver hook([](int) { return 200; });
  test::TempDir dir;
  const std::string yaml = "interval: 50ms\nwindow: 1m\nstate_file: \"" + dir.file("state") +
                           "\"\nnotify:\n  webhook: {url: \"" + hook.url() + "\"}\n" +
                           "alerts:\n  - {metric: x, name: x_high, above: {critical: 5}}\n";
  std::atomic<double> value{9};
  auto monitor = [&] {
    std::vector<std::unique_ptr<Collector>> collectors;
    collectors.push_back(std::make_unique<test::ScriptedCollector>(
        [&](SampleSink& s, int) { s.emit("x", value.load()); }));
    return std::make_unique<Monitor>(parse_config(yaml, ConfigFormat::kYaml, "t.yaml"),
                                     std::vector<InstanceInfo>{{"a", "p", {"x"}}},
                                     std::move(collectors));
  };
  Alert fired;
  {
    auto before = monitor();
    before->start();
    ASSERT_TRUE(eventually([&] { return hook.accepted().size() == 1; }));
    before->stop();
    ASSERT_EQ(before->alerts().active().size(), 1u);
    fired = before->alerts().active()[0];
  }
  auto after = monitor();
  const uint64_t restored = after->store().appended();
  after->start();
  // Ten samples with the condition still true, and the webhook's queue empty after them: had any
  // of them announced the alert again, the request would be counted below or still queued.
  ASSERT_TRUE(eventually([&] { return after->store().appended() >= restored + 10; }));
  ASSERT_TRUE(eventually([&] { return after->notifiers().at(0)->health().queued == 0; }));
  ASSERT_EQ(after->alerts().active().size(), 1u);
  EXPECT_EQ(after->alerts().active()[0].id, fired.id);
  EXPECT_EQ(after->alerts().active()[0].started_at_ms, fired.started_at_ms);
  EXPECT_EQ(after->alerts().active()[0].timestamp_ms, fired.timestamp_ms);
  EXPECT_EQ(hook.requests(), 1) << "the restart announced the alert again";
  value = 0;
  ASSERT_TRUE(eventually([&] { return hook.accepted().size() == 2; }));
  after->stop();
  EXPECT_EQ(hook.requests(), 2);
  const auto resolved = parse_json(hook.accepted()[1]).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(resolved->getValue<std::string>("state"), "resolved") << hook.accepted()[1];
  EXPECT_EQ(resolved->getValue<uint64_t>("episode"), fired.id);
}

}  // namespace
}  // namespace resync

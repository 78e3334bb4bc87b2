// SPDX-License-Identifier: MIT
// Notifiers against real HTTP peers: a webhook receiver that refuses and then accepts, one that
// never answers, and a real Alertmanager (Debian's prometheus-alertmanager) on loopback.
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "alertmanager.hpp"
#include "http_targets.hpp"
#include "resync/monitor.hpp"
#include "resync/notify.hpp"
#include "resync/util/wall_clock.hpp"
#include "scripted_collector.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Polls `done` every 20 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

Poco::Dynamic::Var parse_json(const std::string& text) { return Poco::JSON::Parser().parse(text); }

/// A webhook receiver on 127.0.0.1: answers `status_of(n)` to its n-th request (1-based) and
/// records the bodies of those it answered 2xx. Thread-safe.
class Receiver {
 public:
  explicit Receiver(std::function<int(int)> status_of)
      : status_of_(std::move(status_of)), socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket_, params);
    server_->start();
  }
  ~Receiver() { server_->stopAll(true); }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/hook";
  }
  std::vector<std::string> accepted() const {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  int requests() const { return requests_.load(); }
  std::string content_type() const {
    std::lock_guard lock(mutex_);
    return content_type_;
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(Receiver& r) : r_(r) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      std::string body;
      Poco::StreamCopier::copyToString(request.stream(), body);
      const int status = r_.status_of_(++r_.requests_);
      if (status >= 200 && status < 300) {
        std::lock_guard lock(r_.mutex_);
        r_.accepted_.push_back(body);
        r_.content_type_ = request.getContentType();
      }
      response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
      response.setContentLength(0);
      response.send();
    }

   private:
    Receiver& r_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(Receiver& r) : r_(r) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(r_);
    }

   private:
    Receiver& r_;
  };

  std::function<int(int)> status_of_;
  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::atomic<int> requests_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> accepted_;
  std::string content_type_;
};

NotifierConfig webhook(const std::string& url) {
  NotifierConfig c;
  c.kind = NotifierConfig::Kind::kWebhook;
  c.name = "hook";
  c.url = url;
  c.timeout = 2s;
  c.backoff = 20ms;
  c.max_backoff = 80ms;
  return c;
}

SeriesLayout one_series() {
  SeriesLayout layout;
  layout.add({"x", "a", "p"});
  return layout;
}

AlertRule rule_x(std::chrono::milliseconds for_duration = {}) {
  AlertRule r;
  r.metric = "x";
  r.name = "x_high";
  r.conditions = {{Severity::kCritical, Comparison::kAbove, 5}};
  r.for_duration = for_duration;
  r.flapping = FlapDetection{};
  return r;
}

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
  std::this_thread::sleep_for(200ms);  // nothing more may come
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
  std::this_thread::sleep_for(2s);
  const NotifierHealth h = monitor.notifiers().at(0)->health();
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
  std::this_thread::sleep_for(300ms);
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
  after->start();
  std::this_thread::sleep_for(500ms);  // ten samples, the condition still true
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
  ASSERT_TRUE(eventually([&] { return (alert = find_alert(am, "x_high")) != nullptr; }, 15s))
      << am.log();
  const auto labels = alert->getObject("labels");
  EXPECT_EQ(labels->getValue<std::string>("severity"), "critical");
  EXPECT_EQ(labels->getValue<std::string>("instance"), "a");
  EXPECT_EQ(labels->getValue<std::string>("metric"), "x");
  EXPECT_THAT(alert->getObject("annotations")->getValue<std::string>("summary"),
              testing::StartsWith("x [a] is 9"));
  EXPECT_EQ(alert->getValue<std::string>("generatorURL"), "http://mon.example:8000/monitoring");

  // Re-posted while firing: it is still listed, and processed, after several resends.
  std::this_thread::sleep_for(2500ms);
  alert = find_alert(am, "x_high");
  ASSERT_TRUE(alert);
  EXPECT_EQ(alert->getObject("status")->getValue<std::string>("state"), "active");

  value = 1;
  EXPECT_TRUE(eventually([&] { return find_alert(am, "x_high") == nullptr; }, 15s)) << am.log();
  // Alertmanager may show the resolve before the notifier has read its answer and counted it.
  NotifierHealth h;
  EXPECT_TRUE(eventually([&] { return (h = monitor.notifiers().at(0)->health()).sent >= 2; }, 5s))
      << "firing and resolved: sent " << h.sent;
  monitor.stop();
  EXPECT_EQ(h.failed, 0u);
  EXPECT_EQ(h.last_error, "");
}

}  // namespace
}  // namespace resync

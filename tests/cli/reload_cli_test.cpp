// SPDX-License-Identifier: MIT
// SIGHUP as an operator (or `systemctl reload`) sends it to the real `resync-mon serve`: the
// configuration file is read again and applied without losing the window, the alert state or the
// WebSocket clients; a broken file is refused and the running configuration stays.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "run_cli.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using test::TempDir;
using testing::HasSubstr;
using testing::Not;

// A file the test rewrites between reloads: fixture collectors at 200 ms and `extra` settings.
void write_config(const std::string& path, const std::string& collectors,
                  const std::string& extra = "", const std::string& window = "1m") {
  test::write_file(path, "interval: 200ms\nwindow: " + window +
                             "\nplugin_dir: \"" RESYNC_FIXTURE_DIR "\"\n" + extra +
                             "collectors:\n" + collectors);
}

Poco::JSON::Object::Ptr get_json(const std::string& url) {
  const test::HttpResult r = test::http_get(url);
  if (r.status != 200) return nullptr;
  Poco::JSON::Parser parser;
  return parser.parse(r.body).extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Object::Ptr health(const test::ServeProcess& serve) {
  return get_json(serve.url() + "/api/monitoring/health");
}

uint64_t reloads(const test::ServeProcess& serve, const char* field = "reloads") {
  const auto h = health(serve);
  return h ? h->getObject("config")->getValue<uint64_t>(field) : 0;
}

uint64_t samples(const test::ServeProcess& serve) {
  const auto h = health(serve);
  return h ? h->getValue<uint64_t>("samples_collected") : 0;
}

bool has_collector(const test::ServeProcess& serve, const std::string& name) {
  const auto h = health(serve);
  return h && h->getObject("collectors")->has(name);
}

// The newest value of `series` (a /metrics line prefix) or -1.
double metric(const test::ServeProcess& serve, const std::string& series) {
  const std::string body = test::http_get(serve.url() + "/metrics").body;
  const size_t at = body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + series.size() + 2));
}

struct WsClient {
  explicit WsClient(uint16_t port) : session("127.0.0.1", port) {
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/api/monitoring/ws",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse response;
    socket = std::make_unique<Poco::Net::WebSocket>(session, request, response);
    socket->setReceiveTimeout(Poco::Timespan(10, 0));
  }
  // The next data frame's payload; "" when the server closed or nothing came within 10 s.
  std::string next() {
    Poco::Buffer<char> buffer(0);
    int flags = 0;
    try {
      for (;;) {
        buffer.resize(0);
        if (socket->receiveFrame(buffer, flags) == 0) return "";
        const int op = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
        if (op == Poco::Net::WebSocket::FRAME_OP_PING) {
          socket->sendFrame(
              buffer.begin(), static_cast<int>(buffer.size()),
              Poco::Net::WebSocket::FRAME_FLAG_FIN | Poco::Net::WebSocket::FRAME_OP_PONG);
          continue;
        }
        if (op == Poco::Net::WebSocket::FRAME_OP_CLOSE) return "";
        return std::string(buffer.begin(), buffer.size());
      }
    } catch (const Poco::Exception&) {
      return "";
    }
  }
  Poco::Net::HTTPClientSession session;
  std::unique_ptr<Poco::Net::WebSocket> socket;
};

bool wait_for_log(const std::string& log, const std::string& text) {
  return test::eventually([&] { return test::read_file(log).find(text) != std::string::npos; });
}

uint16_t port_of(const std::string& url) {
  return static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

TEST(ReloadTest, AddsACollectorAndARuleUnderWebSocketLoadKeepingClientsAndWindow) {
  TempDir dir;
  const std::string config = dir.file("resync.yaml"), log = dir.file("serve.log");
  write_config(config, "  - {plugin: fixture, name: a}\n");
  test::ServeProcess serve(config, log);
  ASSERT_FALSE(serve.url().empty()) << test::read_file(log);
  ASSERT_TRUE(serve.wait_for_samples(5)) << test::read_file(log);
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 20; ++i) clients.push_back(std::make_unique<WsClient>(port_of(serve.url())));
  for (auto& c : clients) ASSERT_THAT(c->next(), HasSubstr("\"collectors\""));
  const double calls_before = metric(serve, "resync_mon_fixture_calls{instance=\"a\"}");
  const uint64_t samples_before = samples(serve);
  ASSERT_GT(calls_before, 0);

  write_config(config, "  - {plugin: fixture, name: a}\n  - {plugin: fixture, name: b}\n",
               "alerts:\n  - {metric: fixture_calls, instance: b, above: {warning: 0}}\n");
  serve.process().signal(SIGHUP);
  ASSERT_TRUE(wait_for_log(log, "collectors added: b")) << test::read_file(log);
  // Every client is still connected and its pushes come to show the new collector.
  for (auto& c : clients) {
    ASSERT_TRUE(test::eventually([&] {
      const std::string doc = c->next();
      return doc.empty() || doc.find("\"b\":{") != std::string::npos;
    }));
    EXPECT_THAT(c->next(), HasSubstr("\"b\":{"));
  }
  // The window went on (no restart: the sample count only grew) and `a`, unchanged, is the
  // same collector still counting its calls.
  EXPECT_GE(samples(serve), samples_before);
  EXPECT_GT(metric(serve, "resync_mon_fixture_calls{instance=\"a\"}"), calls_before);
  // The new rule applies: b's calls are above 0 (after the rule's default `for`, if any).
  ASSERT_TRUE(test::eventually([&] {
    const auto alerts = get_json(serve.url() + "/api/monitoring/alerts");
    return alerts && alerts->getArray("current")->size() > 0;
  }));
  EXPECT_EQ(serve.process().stop(), 0);
}

TEST(ReloadTest, BrokenFileIsRefusedWithoutItsSecretsAndTheRunningConfigurationStays) {
  TempDir dir;
  const std::string config = dir.file("resync.yaml"), log = dir.file("serve.log");
  write_config(config, "  - {plugin: fixture, name: a}\n");
  test::ServeProcess serve(config, log);
  ASSERT_FALSE(serve.url().empty()) << test::read_file(log);
  ASSERT_TRUE(serve.wait_for_samples(3)) << test::read_file(log);

  // A plugin option it refuses, beside a password that must not reach the log.
  write_config(config, "  - {plugin: fixture, name: a, sleep_ms: -5}\n",
               "server:\n  auth: {user: admin, password: \"hunter2-not-in-logs\"}\n");
  serve.process().signal(SIGHUP);
  ASSERT_TRUE(test::eventually([&] { return reloads(serve, "reload_failures") == 1; }))
      << test::read_file(log);
  // Then a file that is not YAML at all.
  test::write_file(config, "collectors: [\n  password: hunter2-not-in-logs\n");
  serve.process().signal(SIGHUP);
  ASSERT_TRUE(test::eventually([&] { return reloads(serve, "reload_failures") == 2; }))
      << test::read_file(log);

  const std::string text = test::read_file(log);
  EXPECT_THAT(text, HasSubstr("reload refused, the running configuration stays: "));
  EXPECT_THAT(text, Not(HasSubstr("hunter2")));
  const auto h = health(serve);
  EXPECT_EQ(h->getObject("config")->getValue<uint64_t>("reloads"), 0u);
  EXPECT_THAT(h->getObject("config")->getValue<std::string>("last_reload_error"),
              HasSubstr("resync.yaml"));
  // Still the old configuration, no auth asked, the window going on.
  const uint64_t before = samples(serve);
  EXPECT_TRUE(serve.wait_for_samples(before + 2));
  EXPECT_TRUE(has_collector(serve, "a"));
  EXPECT_EQ(serve.process().stop(), 0);
}

// Auth is checked per request, so a reload applies it to the next one (no restart, no client
// dropped); a limit such as max_ws_clients is not, and keeps its running value with a warning.
TEST(ReloadTest, AuthAppliesToTheNextRequestAndALimitWaitsForARestart) {
  TempDir dir;
  const std::string config = dir.file("resync.yaml"), log = dir.file("serve.log");
  write_config(config, "  - {plugin: fixture, name: a}\n");
  test::ServeProcess serve(config, log);
  ASSERT_FALSE(serve.url().empty()) << test::read_file(log);
  const std::string api = serve.url() + "/api/monitoring/current";
  ASSERT_EQ(test::http_get(api).status, 200);

  write_config(config, "  - {plugin: fixture, name: a}\n",
               "server:\n  max_ws_clients: 7\n  auth: {token: \"t0k3n-not-in-logs\"}\n");
  serve.process().signal(SIGHUP);
  ASSERT_TRUE(wait_for_log(log, "reload: server.max_ws_clients changed, which needs a restart"))
      << test::read_file(log);
  EXPECT_EQ(test::http_get(api).status, 401);
  EXPECT_EQ(test::http_get(api, {{"Authorization", "Bearer t0k3n-not-in-logs"}}).status, 200);
  EXPECT_EQ(test::http_get(serve.url() + "/health").status, 200);
  EXPECT_THAT(test::read_file(log), Not(HasSubstr("t0k3n")));
  EXPECT_EQ(serve.process().stop(), 0);
}

TEST(ReloadTest, RemovedCollectorKeepsItsHistoryUntilItAgesOut) {
  TempDir dir;
  const std::string config = dir.file("resync.yaml"), log = dir.file("serve.log");
  const std::string state = dir.file("state");
  const std::string settings = "state_file: \"" + state + "\"\n";
  // A 3 s window (15 samples), so the history ages out within the test.
  write_config(config, "  - {plugin: fixture, name: a}\n  - {plugin: fixture, name: b}\n", settings,
               "3s");
  test::ServeProcess serve(config, log);
  ASSERT_FALSE(serve.url().empty()) << test::read_file(log);
  ASSERT_TRUE(serve.wait_for_samples(3)) << test::read_file(log);

  write_config(config, "  - {plugin: fixture, name: a}\n", settings, "3s");
  serve.process().signal(SIGHUP);
  ASSERT_TRUE(wait_for_log(log, "removed: b; 4 series of removed collectors kept"))
      << test::read_file(log);
  EXPECT_FALSE(has_collector(serve, "b"));
  // /metrics no longer has it (Prometheus sees it go stale), while the window keeps it.
  EXPECT_THAT(test::http_get(serve.url() + "/metrics").body,
              testing::AllOf(HasSubstr("instance=\"a\""), Not(HasSubstr("instance=\"b\"")),
                             Not(HasSubstr("collector=\"b\""))));
  // The reload saved the state file with b's series kept: its calls are in the window.
  auto b_history = [&] {
    return test::run_cli(
        {"history", "--state", state, "--format", "csv", "--series", "fixture_calls{b}"});
  };
  test::RunResult r = b_history();
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, testing::ContainsRegex(",[0-9]+\n"));

  // Once the window holds no value of b any more, the next reload drops its series.
  static const std::regex kValue(",[0-9]+\n");  // a row whose last cell (b's) is not empty
  ASSERT_TRUE(test::eventually(
      [&] {
        const test::RunResult now = b_history();
        return now.code == 0 && !std::regex_search(now.out, kValue);
      },
      30s));
  // The server's newest sample may lag the reader's clock by a tick: reload until it agrees.
  uint64_t sent = 1;
  EXPECT_TRUE(test::eventually([&] {
    serve.process().signal(SIGHUP);
    ++sent;
    return test::eventually([&] { return reloads(serve) == sent; }) && b_history().code != 0;
  })) << test::read_file(log);
  EXPECT_EQ(serve.process().stop(), 0);
}

}  // namespace
}  // namespace resync

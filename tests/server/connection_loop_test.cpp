// SPDX-License-Identifier: MIT
// The server under connection floods and hostile request heads, over real sockets: idle and
// half-open connections hold no worker, the request deadline is whole-request, the per-client cap
// refuses cheaply, and every refusal is a JSON error.
#include "connection_loop.hpp"

#include <sys/resource.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "server_test_util.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using test::http_get;
using test::RawClient;
using test::TestServer;
using Clock = std::chrono::steady_clock;

int status_of(const std::string& response) {
  return response.size() > 12 ? std::atoi(response.c_str() + 9) : 0;
}
std::string body_of(const std::string& response) {
  const size_t head = response.find("\r\n\r\n");
  return head == std::string::npos ? "" : response.substr(head + 4);
}

void expect_json_refusal(const std::string& response, int status, const std::string& fragment) {
  EXPECT_EQ(status_of(response), status) << response.substr(0, 200);
  EXPECT_THAT(response, testing::HasSubstr("Content-Type: application/json"));
  EXPECT_THAT(body_of(response), testing::StartsWith("{\"error\":\""));
  EXPECT_THAT(body_of(response), testing::HasSubstr(fragment));
  EXPECT_THAT(body_of(response), testing::HasSubstr("\"status\":" + std::to_string(status)));
}

const std::string kHalfOpen = "GET /api/monitoring/current HTTP/1.1\r\nHost: 127.0.0.1\r\n";

TEST(ConnectionLoopTest, IdleAndHalfOpenConnectionsHoldNoWorker) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  server::HttpServerOptions o;
  o.threads = 4;
  o.max_connections_per_client = 0;
  o.request_timeout = 60s;
  TestServer s(test::test_config("100ms", "1m"), o);
  s.start();
  std::vector<std::unique_ptr<RawClient>> flood;
  for (int i = 0; i < 300; ++i) {
    flood.push_back(std::make_unique<RawClient>(s.http.port()));
    auto& half = flood.emplace_back(std::make_unique<RawClient>(s.http.port()));
    ASSERT_TRUE(half->connected() && half->send(kHalfOpen));
  }
  ASSERT_TRUE(test::eventually([&] { return s.http.connections() >= 600; }))
      << s.http.connections();
  // Every worker would be held by now under one thread per connection; here none is.
  for (int i = 0; i < 3; ++i) {
    const auto started = Clock::now();
    EXPECT_EQ(test::http_request("GET", s.url("/health"), {}, "", 1000ms).status, 200);
    EXPECT_EQ(test::http_request("GET", s.url("/api/monitoring/current"), {}, "", 1000ms).status,
              200);
    EXPECT_LT(Clock::now() - started, 2s);
  }
  flood.clear();
  EXPECT_TRUE(test::eventually([&] { return s.http.connections() == 0; })) << s.http.connections();
}

// Left to EPOLLEXCLUSIVE, the loop registered first took nearly every connection of a burst.
TEST(ConnectionLoopTest, ConnectionsSpreadEvenlyOverTheLoops) {
  server::HttpServerOptions o;
  o.loops = 4;
  o.max_connections_per_client = 0;
  TestServer s(test::test_config("10s", "1m"), o);
  s.start();
  const auto held = [&] {
    size_t sum = 0;
    for (const size_t n : s.http.connections_per_loop()) sum += n;
    return sum;
  };
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 40; ++i) {
    clients.push_back(std::make_unique<RawClient>(s.http.port()));
    ASSERT_TRUE(clients.back()->connected());
  }
  ASSERT_TRUE(test::eventually([&] { return held() == 40; })) << held();
  EXPECT_THAT(s.http.connections_per_loop(), testing::ElementsAre(10, 10, 10, 10));
  // Whichever loop took it, every connection is answered, and keeps its loop for the next request.
  for (int round = 0; round < 2; ++round) {
    for (auto& c : clients) {
      ASSERT_TRUE(c->send("GET /api/monitoring/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
      EXPECT_EQ(status_of(c->read_response(2000ms)), 200);
    }
  }
  clients.resize(20);
  EXPECT_TRUE(test::eventually([&] { return held() == 20; })) << held();
  clients.clear();
  EXPECT_TRUE(test::eventually([&] { return held() == 0 && s.http.connections() == 0; }));
}

TEST(ConnectionLoopTest, SlowlorisIsClosedByTheWholeRequestDeadline) {
  server::HttpServerOptions o;
  o.request_timeout = 500ms;
  TestServer s(test::test_config("10s", "1m"), o);
  s.start(false);
  RawClient c(s.http.port());
  ASSERT_TRUE(c.connected());
  const auto started = Clock::now();
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\n"));
  // One header line every 100 ms would renew a per-read timeout forever.
  std::string answer;
  for (int i = 0; i < 30 && answer.empty(); ++i) {
    c.send("X-Drip-" + std::to_string(i) + ": x\r\n");
    answer = c.read_until_close(100ms);
  }
  answer += c.read_until_close(2s);
  EXPECT_LT(Clock::now() - started, 2s);
  expect_json_refusal(answer, 408, "request not complete within 500 ms");
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(http_get(s.url("/health")).status, 200);
}

TEST(ConnectionLoopTest, RefusalsBeforeTheHandlerAreJson) {
  TestServer s(test::test_config("10s", "1m"));
  s.start(false);
  const auto answer = [&](const std::string& request) {
    RawClient c(s.http.port());
    c.send(request);
    return c.read_until_close(3s);
  };
  expect_json_refusal(answer("GARBAGE\r\n\r\n"), 400, "malformed request line");
  expect_json_refusal(answer("GET /health HTTP/9.9\r\nHost: x\r\n\r\n"), 400, "malformed");
  expect_json_refusal(answer("GET /health HTTP/1.1\r\nno colon here\r\n\r\n"), 400,
                      "malformed header field line");
  // One field over Poco's 8 KiB per value, and a head past the total cap without its end.
  expect_json_refusal(
      answer("GET /health HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n"), 431,
      "header field X-Big longer than 8192 bytes");
  std::string many = "GET /health HTTP/1.1\r\n";
  for (int i = 0; i < 40; ++i)
    many += "X-" + std::to_string(i) + ": " + std::string(1000, 'b') + "\r\n";
  expect_json_refusal(answer(many), 431, "request header fields larger than");
  expect_json_refusal(answer("GET /" + std::string(5000, 'u') + " HTTP/1.1\r\n\r\n"), 414,
                      "request target longer than 4096 bytes");
  expect_json_refusal(answer("GET /health HTTP/1.1\r\nContent-Length: 999999\r\n\r\n"), 413,
                      "request body larger than");
  expect_json_refusal(
      answer("POST /api/monitoring/current HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n"),
      411, "Transfer-Encoding is not accepted");
  EXPECT_EQ(http_get(s.url("/health")).status, 200);
}

TEST(ConnectionLoopTest, PerClientCapRefusesWith429) {
  server::HttpServerOptions o;
  o.max_connections_per_client = 5;
  TestServer s(test::test_config("10s", "1m"), o);
  s.start(false);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 5; ++i) held.push_back(std::make_unique<RawClient>(s.http.port()));
  ASSERT_TRUE(test::eventually([&] { return s.http.connections() == 5; }));
  RawClient over(s.http.port());
  expect_json_refusal(over.read_until_close(2s), 429,
                      "too many connections from this address (limit 5)");
  held.pop_back();
  EXPECT_TRUE(test::eventually([&] { return http_get(s.url("/health")).status == 200; }));
}

TEST(ConnectionLoopTest, HealthIsAnsweredWhileEveryWorkerIsBusy) {
  server::HttpServerOptions o;
  o.threads = 2;
  o.request_timeout = 3s;
  TestServer s(test::test_config("10s", "1m"), o);
  s.start(false);
  // Chunked bodies go to a worker, which waits for them: two hold both workers.
  std::vector<std::unique_ptr<RawClient>> busy;
  for (int i = 0; i < 2; ++i) {
    busy.push_back(std::make_unique<RawClient>(s.http.port()));
    busy.back()->send(
        "GET /api/monitoring/current HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Transfer-Encoding: chunked\r\n\r\n");
  }
  std::this_thread::sleep_for(200ms);
  const auto started = Clock::now();
  EXPECT_EQ(test::http_request("GET", s.url("/health"), {}, "", 1000ms).status, 200);
  EXPECT_LT(Clock::now() - started, 1s);
}

TEST(ConnectionLoopTest, KeepAliveConnectionGoesBackAndForth) {
  TestServer s(test::test_config("10s", "1m"));
  s.start(false);
  RawClient c(s.http.port());
  for (const char* path : {"/health", "/metrics", "/api/monitoring/current", "/health"}) {
    ASSERT_TRUE(c.send(std::string("GET ") + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    EXPECT_EQ(status_of(c.read_response(3s)), 200) << path;
    std::this_thread::sleep_for(30ms);  // long enough for the connection to be back in the loop
  }
  EXPECT_EQ(s.http.connections(), 1u);
}

TEST(ConnectionLoopTest, AnswersAClientThatShutsDownItsSideAfterTheRequest) {
  TestServer s(test::test_config("10s", "1m"));
  s.start(false);
  for (const char* path : {"/health", "/metrics"}) {
    RawClient c(s.http.port());
    ASSERT_TRUE(c.send(std::string("GET ") + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    c.shutdown_write();
    const std::string answer = c.read_until_close(3s);
    EXPECT_EQ(status_of(answer), 200) << path;
    EXPECT_TRUE(c.closed()) << path;
  }
}

}  // namespace
}  // namespace resync

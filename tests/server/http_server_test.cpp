// SPDX-License-Identifier: MIT
#include "resync/server/http_server.hpp"

#include <Poco/Net/NetException.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <string>
#include <thread>

#include "server_test_util.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using test::http_get;
using test::parse_object;
using test::TestServer;

TEST(HttpServerTest, RendersNothingWhileNobodyAsks) {
  TestServer s(test::test_config("100ms", "1m"));
  s.start();
  const uint64_t first = s.monitor.store().appended();
  ASSERT_TRUE(test::eventually([&] { return s.monitor.store().appended() >= first + 5; }));
  EXPECT_EQ(s.http.documents_rendered(), 0u);
  EXPECT_EQ(http_get(s.url("/health")).status, 200);
  EXPECT_EQ(http_get(s.url("/monitoring")).status, 200);
  EXPECT_EQ(s.http.documents_rendered(), 0u);
  // One request renders the one document it asks for.
  const auto current = http_get(s.url("/api/monitoring/current"));
  EXPECT_EQ(current.status, 200);
  EXPECT_GT(parse_object(current.body)->getValue<int64_t>("timestamp"), 0);
  EXPECT_EQ(s.http.documents_rendered(), 1u);
}

size_t threads_of_this_process() {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                                           std::filesystem::directory_iterator{}));
}

// One event loop per core and no other thread: no render pool thread before a render, and no
// WebSocket thread (clients stay on their loop) with or without clients.
TEST(HttpServerTest, HoldsOneThreadPerCoreWhileIdle) {
  TestServer s(test::test_config("10s", "1m"));
  const size_t before = threads_of_this_process();
  s.start(false);
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  EXPECT_EQ(threads_of_this_process(), before + cores);
  {
    test::WsClient client(s.http.port());
    ASSERT_TRUE(client.receive(test::kPatience));
    // The frame was rendered on the pool, whose thread ends after its idle time; the client
    // itself holds none.
    EXPECT_LE(threads_of_this_process(), before + 2 * cores);
  }
  EXPECT_TRUE(test::eventually([&] { return s.http.websocket_clients() == 0; }));
}

TEST(HttpServerTest, ReportsItsAddress) {
  TestServer s(test::test_config("10s", "1m"));
  EXPECT_EQ(s.http.port(), 0);
  s.start(false);
  EXPECT_NE(s.http.port(), 0);
  EXPECT_EQ(s.http.base_url(), "http://127.0.0.1:" + std::to_string(s.http.port()));
}

TEST(HttpServerTest, StopsPromptlyThoughTheAcceptorWaitsWithoutTimeout) {
  TestServer s(test::test_config("10s", "1m"));
  s.start(false);
  EXPECT_EQ(http_get(s.url("/health")).status, 200);
  // Gives the accept loop time to be back in its untimed wait, the case under test; were it not
  // yet, stop() would only be easier, so this cannot fail a correct server on a slow machine.
  std::this_thread::sleep_for(300ms);
  const auto started = std::chrono::steady_clock::now();
  s.http.stop();
  const auto took = std::chrono::steady_clock::now() - started;
  // Not the pool's 10 s idle time nor forever; room for a slow machine.
  EXPECT_LT(took, 5s);
  RecordProperty(
      "stop_ms",
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  // Refused at once, not left waiting in the listen backlog.
  const auto refused_at = std::chrono::steady_clock::now();
  EXPECT_THROW(http_get(s.url("/health")), Poco::Net::ConnectionRefusedException);
  EXPECT_LT(std::chrono::steady_clock::now() - refused_at, 1s);
  s.http.stop();  // idempotent
}

TEST(HttpServerTest, AnswersPipelinedRequestsInOrder) {
  TestServer s(test::test_config("1s", "10m"));
  test::prefill(s.monitor, 600);
  s.start(false);
  std::string requests;
  for (const char* path :
       {"/health", "/api/monitoring/history", "/metrics", "/api/monitoring/current"}) {
    requests += std::string("GET ") + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  }
  const auto answers = test::raw_http(s.http.port(), requests, 4);
  ASSERT_EQ(answers.size(), 4u);
  for (const auto& a : answers) EXPECT_EQ(a.status, 200);
  EXPECT_EQ(answers[0].body, R"({"status":"ok"})");
  EXPECT_EQ(parse_object(answers[1].body)->getValue<int>("sample_count"), 600);
  EXPECT_THAT(answers[2].body, testing::HasSubstr("# TYPE resync_mon_collector_up gauge"));
  EXPECT_EQ(answers[3].body, http_get(s.url("/api/monitoring/current")).body);
}

// The dashboard's "download snapshot": the report `resync-mon report` writes, of the live window.
TEST(HttpServerTest, ServesTheStaticReportOfTheLiveWindow) {
  TestServer s(test::test_config("1s", "10m"));
  test::prefill(s.monitor, 120);
  s.start(false);
  const auto report = http_get(s.url("/api/monitoring/report?minutes=1"));
  EXPECT_EQ(report.status, 200);
  EXPECT_THAT(report.headers.at("content-type"), testing::StartsWith("text/html"));
  EXPECT_THAT(report.body, testing::StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(report.body, testing::HasSubstr("<svg"));
  EXPECT_THAT(report.body, testing::Not(testing::HasSubstr("<script")));
  const auto bad = http_get(s.url("/api/monitoring/report?minutes=0"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, testing::HasSubstr("\"error\":\"minutes: expected an integer"));
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
// `resync-mon serve` as a user runs it: a real process with a temporary configuration, stopped
// by signals; and /metrics as real Prometheus tools read it.
#include <signal.h>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <thread>

#include "server_test_util.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using test::Process;
using test::serve_config;
using test::ServeProcess;
using test::TempDir;

std::string require_program(const std::string& name, const std::string& package) {
  auto path = test::find_program(name);
  if (!path) {
    ADD_FAILURE() << name << " not found: install the Debian package '" << package
                  << "' (scripts/deps --test)";
    return "";
  }
  return *path;
}

TEST(ServeTest, PrintsTheDashboardUrlAndServesIt) {
  TempDir dir;
  ServeProcess serve(dir, serve_config(dir));
  ASSERT_NE(serve.port, 0);
  EXPECT_THAT(test::read_file(serve.log),
              testing::HasSubstr("dashboard at http://127.0.0.1:" + std::to_string(serve.port) +
                                 "/monitoring\n"));
  const auto page = test::http_get(serve.url("/monitoring"));
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.headers.at("content-type"), testing::StartsWith("text/html"));
  EXPECT_THAT(page.body, testing::HasSubstr("<html"));
  EXPECT_EQ(test::http_get(serve.url("/monitoring/assets/uplot.min.js")).status, 200);
  EXPECT_EQ(test::http_get(serve.url("/monitoring/assets/dashboard.js")).status, 200);
}

// The embedded default configuration, idle after discovery: issue 17's 2 + cores threads, one
// event loop per core, the main thread (which takes the signals itself once serving) and the
// sampler. The system collector's thread lives only while it collects (about a millisecond per
// sample); no signal thread while serving.
TEST(ServeTest, IdleOnTheDefaultConfigurationHoldsTheLoopsAndTwoThreads) {
  TempDir dir;
  const std::string log = dir.file("serve.log");
  Process serve({test::resync_binary(), "serve", "--bind", "127.0.0.1:0"}, log);
  const auto discovered = [&] {
    return std::filesystem::exists(log) &&
           test::read_file(log).find("discovery: probed") != std::string::npos;
  };
  ASSERT_TRUE(test::eventually(discovered)) << log;
  const std::string tasks = "/proc/" + std::to_string(serve.pid()) + "/task";
  const auto threads = [&] {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(tasks),
                                             std::filesystem::directory_iterator{}));
  };
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  // Discovery's probe threads end just after its log line.
  EXPECT_TRUE(test::eventually([&] { return threads() <= cores + 2; }))
      << threads() << " threads on " << cores << " cores";
}

TEST(ServeTest, SigtermClosesWebSocketsAndExitsZeroQuickly) {
  for (int sig : {SIGTERM, SIGINT}) {
    TempDir dir;
    ServeProcess serve(dir, serve_config(dir));
    ASSERT_NE(serve.port, 0);
    test::WsClient client(serve.port);
    ASSERT_TRUE(client.receive(test::kPatience));
    ASSERT_TRUE(client.receive(test::kPatience)) << "no push: the sampler has not run";
    const auto started = std::chrono::steady_clock::now();
    serve.process.signal(sig);
    std::optional<test::WsClient::Frame> close;
    while (auto f = client.receive(3s)) {
      if (f->opcode() == Poco::Net::WebSocket::FRAME_OP_CLOSE) {
        close = f;
        break;
      }
    }
    ASSERT_TRUE(close) << "no CLOSE frame after signal " << sig;
    EXPECT_EQ((static_cast<unsigned char>(close->payload[0]) << 8) |
                  static_cast<unsigned char>(close->payload[1]),
              1001);
    const auto code = serve.process.wait_exit(test::kPatience);
    ASSERT_TRUE(code) << "still running after signal " << sig;
    EXPECT_EQ(*code, 0) << test::read_file(serve.log);
    // Quickly: not after a thread pool's 10 s idle time; room for a slow machine.
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  }
}

TEST(ServeTest, PortInUseIsOneLineAndExitCode5) {
  TempDir dir;
  Poco::Net::ServerSocket taken(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::string bind = "127.0.0.1:" + std::to_string(taken.address().port());
  Process serve({test::resync_binary(), "--config", serve_config(dir), "serve", "--bind", bind},
                dir.file("log"));
  const auto code = serve.wait_exit(5s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 5);
  EXPECT_EQ(test::read_file(dir.file("log")),
            "resync-mon: cannot bind " + bind + ": address already in use\n");
}

TEST(ServeTest, BadBindIsAUsageError) {
  TempDir dir;
  Process serve({test::resync_binary(), "serve", "--bind", "localhost"}, dir.file("log"));
  const auto code = serve.wait_exit(5s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 2);
  EXPECT_THAT(test::read_file(dir.file("log")), testing::HasSubstr("--bind: expected HOST:PORT"));
}

TEST(ServeTest, ConfiguredTokenNeverAppearsInResponsesOrLogs) {
  TempDir dir;
  const std::string token = "tk-0a1b2c3d4e5f-secret";
  ServeProcess serve(dir, serve_config(dir, "server:\n  auth:\n    token: \"${TEST_TOKEN}\"\n"),
                     {{"TEST_TOKEN", token}});
  ASSERT_NE(serve.port, 0);
  const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + token}};
  // Documents with a sample in them, so a leaked token would have somewhere to be.
  ASSERT_TRUE(test::eventually([&] {
    return test::http_get(serve.url("/api/monitoring/health"), auth)
               .body.find("\"samples_collected\":0") == std::string::npos;
  }));
  std::string served;
  for (const char* path :
       {"/api/monitoring/current", "/api/monitoring/history", "/api/monitoring/alerts",
        "/api/monitoring/health", "/metrics", "/monitoring", "/missing"}) {
    const auto r = test::http_get(serve.url(path), auth);
    EXPECT_NE(r.status, 401) << path;
    served += r.body;
    for (const auto& [k, v] : r.headers) served += k + ": " + v + "\n";
  }
  const auto denied =
      test::http_get(serve.url("/api/monitoring/current"), {{"Authorization", "Bearer nope"}});
  EXPECT_EQ(denied.status, 401);
  served += denied.body + test::http_get(serve.url("/health")).body;
  serve.process.signal(SIGTERM);
  ASSERT_TRUE(serve.process.wait_exit(3s));
  EXPECT_THAT(served, testing::Not(testing::HasSubstr(token)));
  EXPECT_THAT(test::read_file(serve.log), testing::Not(testing::HasSubstr(token)));
}

TEST(PrometheusTest, PromtoolAcceptsMetrics) {
  const std::string promtool = require_program("promtool", "prometheus");
  ASSERT_FALSE(promtool.empty());
  test::TestServer s(test::test_config("1s", "1m"));
  s.monitor.sample_now(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count() /
                       1000 * 1000);
  s.start(false);
  const auto r = test::http_get(s.url("/metrics"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.at("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(r.body, testing::HasSubstr("resync_mon_collector_up{collector=\"system\"} 1\n"));
  TempDir dir;
  test::write_file(dir.file("metrics.txt"), r.body);
  Process check(
      {"/bin/sh", "-c", "exec \"$0\" check metrics < \"$1\"", promtool, dir.file("metrics.txt")},
      dir.file("promtool.log"));
  const auto code = check.wait_exit(20s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << "promtool check metrics:\n"
                      << test::read_file(dir.file("promtool.log")) << "\n"
                      << r.body;
}

TEST(PrometheusTest, RealPrometheusScrapesMetrics) {
  const std::string prometheus = require_program("prometheus", "prometheus");
  ASSERT_FALSE(prometheus.empty());
  test::TestServer s(test::test_config("200ms", "1m"));
  s.start();
  TempDir dir;
  const uint16_t prom_port = test::free_port();
  test::write_file(dir.file("prometheus.yml"),
                   "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                   "scrape_configs:\n"
                   "  - job_name: resync\n"
                   "    static_configs: [{targets: [\"127.0.0.1:" +
                       std::to_string(s.http.port()) + "\"]}]\n");
  Process prom({prometheus, "--config.file=" + dir.file("prometheus.yml"),
                "--storage.tsdb.path=" + dir.file("data"),
                "--web.listen-address=127.0.0.1:" + std::to_string(prom_port), "--log.level=warn"},
               dir.file("prometheus.log"));
  ASSERT_TRUE(test::wait_for_port(prom_port, 15s)) << test::read_file(dir.file("prometheus.log"));

  std::string query;
  Poco::URI::encode("resync_mon_collector_up{collector=\"system\"}", "{}\"=&+ ", query);
  const std::string url =
      "http://127.0.0.1:" + std::to_string(prom_port) + "/api/v1/query?query=" + query;
  std::string last;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    last = test::http_get(url).body;
    seen = last.find(R"("value":[)") != std::string::npos &&
           last.find(R"(,"1"])") != std::string::npos;
    if (!seen) std::this_thread::sleep_for(250ms);
  }
  EXPECT_TRUE(seen) << "Prometheus never returned resync_mon_collector_up{collector=\"system\"} == "
                       "1; last answer: "
                    << last << "\nlog:\n"
                    << test::read_file(dir.file("prometheus.log"));
  EXPECT_THAT(last, testing::HasSubstr(R"("job":"resync")"));
}

}  // namespace
}  // namespace resync

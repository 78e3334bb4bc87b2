// SPDX-License-Identifier: MIT
// The api plugin through the real loader, against real nginx and a real Prometheus.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "access_log.hpp"
#include "api_stats.hpp"
#include "http_targets.hpp"
#include "plugin_host.hpp"
#include "resync/alert_engine.hpp"
#include "resync/error.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;
using test::collect_once;
using test::Nginx;
using test::Values;
using testing::HasSubstr;
using testing::StartsWith;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// ---- the plugin, through the real loader ----------------------------------------------------

std::string config(const std::string& fields, int timeout_ms = 2000) {
  return test::plugin_options("api", fields, timeout_ms);
}

std::string create_error(const std::string& json) { return test::create_error("api", json); }

TEST(ApiPluginTest, RejectsBadOptionsNamingTheKey) {
  EXPECT_EQ(create_error(config("\"source\":\"prometheus\"")),
            "url: missing; this collector needs it");
  EXPECT_THAT(create_error(config("\"source\":\"graphite\",\"url\":\"http://x/\"")),
              StartsWith("source: expected one of prometheus, access_log, got \"graphite\""));
  EXPECT_THAT(create_error(config("\"url\":\"http://127.0.0.1:1/metrics\",\"bogus\":1")),
              StartsWith("bogus: unknown key"));
  EXPECT_THAT(create_error(config("\"url\":\"ftp://x/metrics\"")),
              StartsWith("url: expected an http:// or https:// URL"));
  // A key of the other source is unknown to this one.
  EXPECT_THAT(
      create_error(config("\"url\":\"http://127.0.0.1:1/metrics\",\"path\":\"/var/log/x\"")),
      StartsWith("path: unknown key"));
  EXPECT_EQ(create_error(config("\"source\":\"access_log\"")),
            "path: missing; this collector needs it");
  EXPECT_THAT(
      create_error(config("\"source\":\"access_log\",\"path\":\"/x\",\"time_unit\":\"min\"")),
      StartsWith("time_unit: expected one of s, ms, us"));
  EXPECT_THAT(create_error(config("\"url\":\"http://127.0.0.1:1/\",\"duration_metric\":\"\"")),
              StartsWith("duration_metric: must not be empty"));
  EXPECT_EQ(create_error(config(
                "\"url\":\"http://127.0.0.1:1/metrics\",\"token\":\"t\",\"requests_metric\":\"a\","
                "\"status_label\":\"code\",\"duration_metric\":\"b\",\"duration_unit\":\"ms\"")),
            "");
}

size_t count_lines(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) ++n;
  return n;
}

// Waits until nginx has written `n` lines to `path` (it logs when the response is done).
void wait_lines(const std::string& path, size_t n) {
  test::eventually([&] { return count_lines(path) >= n; });
  ASSERT_GE(count_lines(path), n) << path;
}

void send(const Nginx& nginx, const std::string& path, int count, int threads = 1) {
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = t; i < count; i += threads) test::http_get(nginx.url(path));
    });
  }
  for (auto& w : workers) w.join();
}

struct Timed {
  Values values;
  Clock::time_point started, ended;
};

Timed timed_collect(Collector& c) {
  Timed t;
  t.started = Clock::now();
  c.collect(t.values);
  t.ended = Clock::now();
  return t;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Tolerances: counts, errors and error rate are exact (each request is one log line). The rate
// divides by the plugin's own clock between its two reads, which lies between the tightest and
// the widest bracket of the two collect() calls. nginx's /slow answers 504 when its 200 ms
// proxy_read_timeout fires, logged with millisecond resolution, so p95 is 200 ms plus
// scheduling delay: accepted in [199, 450] ms on a loaded two-core machine.
TEST(ApiPluginTest, MeasuresNginxTrafficFromItsAccessLog) {
  Nginx nginx;
  PluginCollector api(
      test::load_built_plugin("api"),
      config("\"source\":\"access_log\",\"path\":" + test::json_string(nginx.access_log())));
  const Timed first = timed_collect(api);
  EXPECT_EQ(first.values.at("requests_total"), 0);

  send(nginx, "/ok", 160, 4);
  send(nginx, "/fail", 20, 2);
  send(nginx, "/slow", 20, 10);
  wait_lines(nginx.access_log(), 200);

  const Timed second = timed_collect(api);
  const Values& v = second.values;
  EXPECT_EQ(v.at("requests_total"), 200);
  EXPECT_EQ(v.at("error_count"), 40);
  EXPECT_DOUBLE_EQ(v.at("error_rate"), 20.0);
  EXPECT_GE(v.at("requests_per_sec"), 200 / seconds(second.ended - first.started));
  EXPECT_LE(v.at("requests_per_sec"), 200 / seconds(second.started - first.ended));
  EXPECT_GE(v.at("response_time_p95"), 199);
  EXPECT_LE(v.at("response_time_p95"), 450);
  EXPECT_LT(v.at("response_time_p50"), 50);
  // 20 of 200 requests took ~200 ms, the rest ~0: the mean is ~20 ms.
  EXPECT_GE(v.at("response_time_avg"), 19.9);
  EXPECT_LE(v.at("response_time_avg"), 50);
  EXPECT_EQ(api.status(), "ok");

  const Values idle = timed_collect(api).values;
  EXPECT_EQ(idle.at("requests_total"), 200);
  EXPECT_EQ(idle.at("requests_per_sec"), 0);
  // No request in the interval: no error rate at all, not 0 %.
  EXPECT_TRUE(std::isnan(idle.at("error_rate")));
  EXPECT_TRUE(std::isnan(idle.at("response_time_p95")));
  EXPECT_TRUE(std::isnan(idle.at("response_time_avg")));
}

// Issue 15: a firing error-rate alert resolved on the first interval without traffic, then fired
// again a second later as a new episode. No request is no error rate (NaN), and a missing value
// never resolves an alert: one episode throughout.
TEST(ApiPluginTest, IntervalWithoutTrafficNeitherResolvesNorRefiresAnErrorRateAlert) {
  const fs::path dir =
      fs::temp_directory_path() / ("resync-api-idle-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string log = (dir / "access.log").string();
  std::ofstream(log).close();
  PluginCollector api(test::load_built_plugin("api"),
                      config("\"source\":\"access_log\",\"path\":" + test::json_string(log)));
  const auto append = [&](int ok, int failed) {
    std::ofstream out(log, std::ios::app);
    for (int i = 0; i < ok + failed; ++i) {
      out << "127.0.0.1 - - [25/Nov/2026:03:41:48 +0000] \"GET / HTTP/1.1\" "
          << (i < ok ? 200 : 503) << " 3 \"-\" \"curl\" 0.010\n";
    }
  };
  SeriesLayout layout;
  layout.add({"error_rate", "api", "api", SeriesDescription("error_rate")});
  AlertRule rule;
  rule.metric = "error_rate";
  rule.conditions = {{Severity::kWarning, Comparison::kAbove, 5},
                     {Severity::kCritical, Comparison::kAtLeast, 10}};
  AlertEngine engine({rule}, layout);
  const auto step = [&](int64_t t) {
    const double v = collect_once(api).at("error_rate");
    return engine.evaluate(t, &v, nullptr);
  };
  collect_once(api);
  append(5, 5);
  const std::vector<AlertEvent> fired = step(1000);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::kFiring);
  EXPECT_EQ(fired[0].alert.severity, Severity::kCritical);

  EXPECT_TRUE(std::isnan(collect_once(api).at("error_rate")));  // an interval with no request
  EXPECT_TRUE(step(2000).empty());
  ASSERT_EQ(engine.active().size(), 1u);
  append(5, 5);
  EXPECT_TRUE(step(3000).empty());
  EXPECT_EQ(engine.recent().size(), 1u);
  EXPECT_EQ(engine.active().size(), 1u);
  fs::remove_all(dir);
}

TEST(ApiPluginTest, SurvivesRenameAndCopytruncateRotationOfARealNginxLog) {
  Nginx nginx;
  const std::string log = nginx.access_log();
  PluginCollector api(test::load_built_plugin("api"),
                      config("\"source\":\"access_log\",\"path\":" + test::json_string(log)));
  EXPECT_EQ(collect_once(api).at("requests_total"), 0);

  send(nginx, "/ok", 10);
  wait_lines(log, 10);
  fs::rename(log, log + ".1");
  send(nginx, "/ok", 5);  // nginx still writes to the renamed file
  wait_lines(log + ".1", 15);
  EXPECT_EQ(collect_once(api).at("requests_total"), 15);

  nginx.reopen_logs();
  ASSERT_TRUE(test::eventually([&] { return fs::exists(log); }))
      << "nginx did not reopen its log after SIGUSR1";
  send(nginx, "/fail", 7);
  wait_lines(log, 7);
  Values v = collect_once(api);
  EXPECT_EQ(v.at("requests_total"), 22);
  EXPECT_EQ(v.at("error_count"), 7);
  EXPECT_DOUBLE_EQ(v.at("error_rate"), 100.0);

  send(nginx, "/ok", 6);
  wait_lines(log, 13);
  EXPECT_EQ(collect_once(api).at("requests_total"), 28);
  fs::copy_file(log, log + ".2");
  fs::resize_file(log, 0);
  send(nginx, "/ok", 3);
  wait_lines(log, 3);
  v = collect_once(api);
  EXPECT_EQ(v.at("requests_total"), 31);
  EXPECT_EQ(v.at("error_count"), 7);
  EXPECT_DOUBLE_EQ(v.at("error_rate"), 0.0);
  EXPECT_THAT(api.status(), HasSubstr("rotated 1x"));
  EXPECT_THAT(api.status(), HasSubstr("truncated 1x"));
}

// Debian's prometheus on a free loopback port with a temporary storage folder.
class PrometheusServer {
 public:
  explicit PrometheusServer(const test::TempDir& dir, uint16_t port = 0)
      : port_(port ? port : test::free_port()) {
    const auto binary = test::find_program("prometheus");
    if (!binary)
      throw std::runtime_error("prometheus not found; install it with scripts/deps --test");
    test::write_file(dir.file("prometheus.yml"),
                     "global: {scrape_interval: 1h}\nscrape_configs: []\n");
    process_ = std::make_unique<test::Process>(
        std::vector<std::string>{
            *binary, "--config.file=" + dir.file("prometheus.yml"),
            "--storage.tsdb.path=" + dir.file("data-" + std::to_string(++starts_)),
            "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
        dir.file("prometheus.log"));
    const Clock::time_point deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
      try {
        const int status = test::http_get(url("/-/ready")).status;
        if (status == 200) return;
        if (status >= 500) ++not_ready_answers_;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(50ms);
    }
    throw std::runtime_error("prometheus did not become ready: " +
                             test::read_file(dir.file("prometheus.log")));
  }
  uint16_t port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void stop() { process_->stop(); }
  /// 503s the readiness probe got while the server started: 5xx responses it has counted.
  int not_ready_answers() const { return not_ready_answers_; }

 private:
  static inline int starts_ = 0;
  uint16_t port_;
  int not_ready_answers_ = 0;
  std::unique_ptr<test::Process> process_;
};

// Tolerances: the plugin's own scrapes are requests too, so the increase is what the test sent
// plus the previous scrape (Prometheus counts a request when it has been answered). Errors are
// exact: the snapshot calls fail (500: admin API disabled), and so did the readiness probes
// that came while the server started (503). All of these requests take well
// under 100 ms on loopback, so p50/p95 fall inside the first bucket (le="0.1"), at most in the
// second on a loaded machine.
TEST(ApiPluginTest, ScrapesARealPrometheusServerUnderTraffic) {
  test::TempDir dir("resync-prometheus");
  auto server = std::make_unique<PrometheusServer>(dir);
  PluginCollector api(
      test::load_built_plugin("api"),
      config("\"source\":\"prometheus\",\"url\":" + test::json_string(server->url("/metrics")) +
             ",\"requests_metric\":\"prometheus_http_requests_total\""
             ",\"duration_metric\":\"prometheus_http_request_duration_seconds\""));
  const Timed first = timed_collect(api);
  const double total1 = first.values.at("requests_total");
  EXPECT_GE(total1, 1) << "the readiness probes were requests";
  EXPECT_EQ(first.values.at("error_count"), server->not_ready_answers());
  EXPECT_TRUE(std::isnan(first.values.at("requests_per_sec")));
  EXPECT_TRUE(std::isnan(first.values.at("response_time_p95")));

  for (int i = 0; i < 60; ++i)
    EXPECT_EQ(test::http_get(server->url("/api/v1/query?query=up")).status, 200);
  for (int i = 0; i < 15; ++i)
    EXPECT_EQ(test::http_request("POST", server->url("/api/v1/admin/tsdb/snapshot")).status, 500);

  const Timed second = timed_collect(api);
  const Values& v = second.values;
  const double sent = v.at("requests_total") - total1;
  EXPECT_GE(sent, 76);
  EXPECT_LE(sent, 77);
  EXPECT_EQ(v.at("error_count") - first.values.at("error_count"), 15);
  EXPECT_DOUBLE_EQ(v.at("error_rate"), 100.0 * 15 / sent);
  EXPECT_GE(v.at("requests_per_sec"), sent / seconds(second.ended - first.started));
  EXPECT_LE(v.at("requests_per_sec"), sent / seconds(second.started - first.ended));
  EXPECT_GT(v.at("response_time_p50"), 0);
  EXPECT_LE(v.at("response_time_p50"), v.at("response_time_p95"));
  EXPECT_LE(v.at("response_time_p95"), 200);
  EXPECT_GT(v.at("response_time_avg"), 0);
  EXPECT_LT(v.at("response_time_avg"), 100);
  EXPECT_EQ(api.status(), "ok");

  // Restarted on the same port: every counter starts again from zero.
  const uint16_t port = server->port();
  server.reset();
  server = std::make_unique<PrometheusServer>(dir, port);
  for (int i = 0; i < 5; ++i) test::http_get(server->url("/api/v1/query?query=up"));
  const Values after = collect_once(api);
  EXPECT_LT(after.at("requests_total"), v.at("requests_total"));
  EXPECT_GE(after.at("requests_per_sec"), 0);
  EXPECT_EQ(after.at("error_count"), server->not_ready_answers());
  EXPECT_GE(after.at("error_rate"), 0);
  EXPECT_LE(after.at("error_rate"), 100);
  EXPECT_GE(after.at("response_time_p50"), 0);

  server->stop();
  const Clock::time_point started = Clock::now();
  try {
    Values ignored;
    api.collect(ignored);
    ADD_FAILURE() << "a stopped target must fail the collection";
  } catch (const CollectError& e) {
    EXPECT_THAT(e.what(), HasSubstr("GET " + server->url("/metrics") + ": connection refused"));
  }
  EXPECT_LT(Clock::now() - started, 2s);
  EXPECT_THAT(api.status(), StartsWith("down: GET"));
}

// The fault, and what the error must say.
struct Fault {
  std::string url;
  std::string message;
};

// Each misbehaving target fails the collection with a clear message before the deadline
// (timeout_ms 1000), and the collector keeps working against a good target afterwards.
TEST(ApiPluginTest, FailsWithinItsDeadlineWhenTheTargetMisbehaves) {
  Nginx nginx;
  nginx.write_www("garbage.bin", std::string("\x7f"
                                             "ELF\x02\x01\x01\0\0\0",
                                             10) +
                                     std::string(4000, '\xff'));
  nginx.write_www("index.html", "<!doctype html>\n<html><body><h1>Welcome</h1></body></html>\n");
  nginx.write_www("metrics", "http_requests_total{code=\"200\"} 5\n");
  test::Blackhole hang;
  test::TruncatingServer cut_length(test::TruncatingServer::Mode::kContentLength);
  test::TruncatingServer cut_chunked(test::TruncatingServer::Mode::kChunked);
  const std::vector<Fault> faults = {
      {"http://127.0.0.1:" + std::to_string(test::free_port()) + "/metrics", "connection refused"},
      {"http://127.0.0.1:" + std::to_string(hang.port()) + "/metrics", "timed out after 900 ms"},
      {nginx.url("/drip/big.txt"), "timed out after 900 ms"},
      {nginx.url("/close"), "GET " + nginx.url("/close") + ": No message received"},
      {nginx.url("/fail"), "HTTP 503"},
      {nginx.url("/garbage.bin"), "not Prometheus text format (line 1: expected a metric name)"},
      {nginx.url("/index.html"), "not Prometheus text format (line 1: expected a metric name)"},
      {cut_length.url(), "connection closed after 64 of 4096 bytes"},
      {cut_chunked.url(), "connection closed before the end of the chunked body"},
  };
  for (const Fault& fault : faults) {
    SCOPED_TRACE(fault.url);
    PluginCollector api(test::load_built_plugin("api"),
                        config("\"url\":" + test::json_string(fault.url), 1000));
    for (int round = 0; round < 2; ++round) {
      const Clock::time_point started = Clock::now();
      try {
        Values ignored;
        api.collect(ignored);
        ADD_FAILURE() << "expected a failure";
      } catch (const CollectError& e) {
        EXPECT_THAT(e.what(), HasSubstr(fault.message));
      }
      EXPECT_LT(Clock::now() - started, 1000ms);
    }
  }
  PluginCollector good(test::load_built_plugin("api"),
                       config("\"url\":" + test::json_string(nginx.url("/metrics")), 1000));
  EXPECT_EQ(collect_once(good).at("requests_total"), 5);
}

}  // namespace
}  // namespace resync

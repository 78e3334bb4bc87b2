// SPDX-License-Identifier: MIT
#include "resync/server/http_server.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "resync/error.hpp"
#include "resync/log.hpp"
#include "server_test_util.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using test::http_get;
using test::http_request;
using test::parse_object;
using test::TestServer;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Real samples stamped on the `count` grid points before now, oldest first.
void prefill(Monitor& monitor, int64_t count) {
  const int64_t interval = monitor.config().interval.count();
  const int64_t newest = wall_ms() / interval * interval;
  for (int64_t k = count; k >= 1; --k) monitor.sample_now(newest - k * interval);
}

void expect_json_error(const test::HttpResult& r, int status, const std::string& fragment) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "", "application/json");
  auto doc = parse_object(r.body);
  EXPECT_EQ(doc->getValue<int>("status"), status);
  EXPECT_THAT(doc->getValue<std::string>("error"), testing::HasSubstr(fragment));
}

TEST(HttpServerPolicyTest, ParsesBindAddresses) {
  auto b = server::parse_bind("127.0.0.1:8000");
  EXPECT_EQ(b.host, "127.0.0.1");
  EXPECT_EQ(b.port, 8000);
  b = server::parse_bind("[::1]:0");
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, 0);
  for (const char* bad : {"8000", ":8000", "host:", "host:99999", "host:80x", "[::1", ""}) {
    EXPECT_THROW(server::parse_bind(bad, "--bind"), ConfigError) << bad;
  }
  try {
    server::parse_bind("localhost", "--bind");
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "--bind: expected HOST:PORT like \"127.0.0.1:8000\", got \"localhost\" (no port)");
  }
}

TEST(HttpServerPolicyTest, ComparesSecretsWholly) {
  using server::detail::constant_time_equals;
  EXPECT_TRUE(constant_time_equals("s3cret", "s3cret"));
  EXPECT_FALSE(constant_time_equals("s3cre", "s3cret"));
  EXPECT_FALSE(constant_time_equals("s3crett", "s3cret"));
  EXPECT_FALSE(constant_time_equals("S3cret", "s3cret"));
  EXPECT_FALSE(constant_time_equals("", "s3cret"));
}

TEST(HttpServerPolicyTest, AllowsSameOriginOrListedOrigins) {
  using server::detail::origin_allowed;
  EXPECT_TRUE(origin_allowed("", "127.0.0.1:8000", {}));
  EXPECT_TRUE(origin_allowed("http://127.0.0.1:8000", "127.0.0.1:8000", {}));
  EXPECT_TRUE(origin_allowed("http://Example.com", "example.com:80", {}));
  EXPECT_TRUE(origin_allowed("https://example.com", "example.com", {}));
  EXPECT_TRUE(origin_allowed("http://[::1]:8000", "[::1]:8000", {}));
  EXPECT_FALSE(origin_allowed("http://evil.example:8000", "127.0.0.1:8000", {}));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:9000", "127.0.0.1:8000", {}));
  EXPECT_FALSE(origin_allowed("https://127.0.0.1", "127.0.0.1:8000", {}));
  EXPECT_FALSE(origin_allowed("null", "127.0.0.1:8000", {}));
  EXPECT_TRUE(origin_allowed("https://ops.example", "127.0.0.1:8000", {"https://ops.example"}));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:8000", "127.0.0.1:8000", {"https://ops.example"}));
  EXPECT_TRUE(origin_allowed("http://anything", "127.0.0.1:8000", {"*"}));
}

TEST(HttpServerPolicyTest, ConvertsHistoryMinutesToRows) {
  using server::detail::history_rows;
  EXPECT_EQ(history_rows("1", 120, 5s), 12u);
  EXPECT_EQ(history_rows("120", 120, 5s), 1440u);
  for (const char* bad : {"0", "121", "-1", "1.5", "", "abc", " 1", "9999999999"}) {
    EXPECT_THROW(history_rows(bad, 120, 5s), std::invalid_argument) << bad;
  }
  try {
    history_rows("abc", 120, 5s);
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "minutes: expected an integer from 1 to 120, got \"abc\"");
  }
}

TEST(HttpServerTest, CurrentHasEveryField) {
  TestServer s(test::test_config("1s", "10m", "alerts:\n  - {metric: host_memory_percent, above: {warning: 0}}\n"));
  prefill(s.monitor, 3);
  s.start(false);
  const auto r = http_get(s.url("/api/monitoring/current"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  auto doc = parse_object(r.body);
  test::expect_keys(doc,
                    {"status", "uptime", "uptime_seconds", "version", "last_update", "timestamp", "api", "cache",
                     "agents", "llm", "tws", "system", "alerts", "host", "collectors"},
                    "current");
  test::expect_keys(doc->getObject("api"),
                    {"requests_per_sec", "requests_total", "error_rate", "error_count", "response_time_p50",
                     "response_time_p95", "response_time_avg", "trend"},
                    "api");
  test::expect_keys(doc->getObject("cache"), {"hit_ratio", "hits", "misses", "size", "evictions", "trend"}, "cache");
  test::expect_keys(doc->getObject("agents"), {"active", "created_total", "failed_total", "trend"}, "agents");
  test::expect_keys(doc->getObject("llm"), {"requests", "tokens_used", "errors"}, "llm");
  test::expect_keys(doc->getObject("tws"),
                    {"connected", "latency_ms", "requests_success", "requests_failed", "status", "jobs"}, "tws");
  test::expect_keys(doc->getObject("tws")->getObject("jobs"), {"error", "running", "waiting", "done"}, "tws.jobs");
  test::expect_keys(doc->getObject("system"), {"availability", "async_operations", "correlation_ids"}, "system");
  test::expect_keys(doc->getObject("host"), {"cpu_percent", "memory_percent", "load1", "process_rss_bytes"}, "host");
  test::expect_keys(doc->getObject("collectors")->getObject("system"), {"up", "last_error", "duration_ms"},
                    "collectors.system");
  EXPECT_TRUE(doc->getObject("collectors")->getObject("system")->getValue<bool>("up"));
  EXPECT_GT(doc->getObject("host")->getValue<double>("process_rss_bytes"), 1e6);
  auto alerts = doc->getArray("alerts");
  ASSERT_EQ(alerts->size(), 1u) << r.body;
  test::expect_keys(alerts->getObject(0), {"type", "severity", "message", "timestamp", "started_at", "resolved_at"},
                    "alerts[0]");
}

TEST(HttpServerTest, ZerosBeforeTheFirstSample) {
  TestServer s(test::test_config("1s", "1m"));
  s.start(false);
  auto doc = parse_object(http_get(s.url("/api/monitoring/current")).body);
  EXPECT_EQ(doc->getValue<std::string>("status"), "initializing");
  EXPECT_EQ(doc->getValue<int64_t>("timestamp"), 0);
  EXPECT_EQ(doc->getObject("host")->getValue<double>("cpu_percent"), 0);
  EXPECT_EQ(doc->getObject("api")->getValue<double>("requests_per_sec"), 0);
  auto history = parse_object(http_get(s.url("/api/monitoring/history")).body);
  EXPECT_EQ(history->getValue<int>("sample_count"), 0);
  EXPECT_EQ(history->getArray("timestamps")->size(), 0u);
  EXPECT_EQ(history->getObject("api")->getArray("requests_per_sec")->size(), 0u);
  auto health = parse_object(http_get(s.url("/api/monitoring/health")).body);
  EXPECT_EQ(health->getValue<int>("samples_collected"), 0);
}

TEST(HttpServerTest, HistoryHasEveryFieldAndHonoursMinutes) {
  TestServer s(test::test_config("1s", "3m"));
  prefill(s.monitor, 150);
  s.start(false);
  const auto r = http_get(s.url("/api/monitoring/history"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = parse_object(r.body);
  test::expect_keys(doc, {"timestamps", "epoch", "api", "cache", "agents", "tws", "sample_count", "interval_seconds"},
                    "history");
  test::expect_keys(doc->getObject("api"), {"requests_per_sec", "error_rate", "response_time_p50", "response_time_p95"},
                    "api");
  test::expect_keys(doc->getObject("cache"), {"hit_ratio", "operations"}, "cache");
  test::expect_keys(doc->getObject("agents"), {"active", "created"}, "agents");
  test::expect_keys(doc->getObject("tws"), {"latency", "connected"}, "tws");
  EXPECT_EQ(doc->getValue<int>("sample_count"), 150);
  EXPECT_EQ(doc->getArray("timestamps")->size(), 150u);
  EXPECT_EQ(doc->getArray("epoch")->size(), 150u);
  EXPECT_EQ(doc->getObject("api")->getArray("requests_per_sec")->size(), 150u);
  EXPECT_EQ(doc->getValue<double>("interval_seconds"), 1.0);

  EXPECT_EQ(parse_object(http_get(s.url("/api/monitoring/history?minutes=1")).body)->getValue<int>("sample_count"), 60);
  EXPECT_EQ(parse_object(http_get(s.url("/api/monitoring/history?minutes=2")).body)->getValue<int>("sample_count"),
            120);
  EXPECT_EQ(http_get(s.url("/api/monitoring/history?minutes=3")).body, r.body);
  EXPECT_EQ(http_get(s.url("/api/monitoring/history?x=1&minutes=3")).body, r.body);
}

TEST(HttpServerTest, LargeDocumentsKeepTheConnectionUsable) {
  TestServer s(test::test_config("1s", "10m"));
  prefill(s.monitor, 600);
  s.start(false);
  // Over 16 KiB, so it goes out with sendfile(2); then a second request on the same connection.
  Poco::Net::HTTPClientSession session("127.0.0.1", s.http.port());
  session.setKeepAlive(true);
  for (const char* path :
       {"/api/monitoring/history", "/api/monitoring/current", "/api/monitoring/history?minutes=10"}) {
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    const std::string body(std::istreambuf_iterator<char>(in), {});
    ASSERT_EQ(response.getStatus(), 200) << path;
    EXPECT_EQ(static_cast<size_t>(response.getContentLength64()), body.size()) << path;
    auto doc = parse_object(body);
    if (std::string(path) != "/api/monitoring/current") {
      EXPECT_GT(body.size(), 16u * 1024) << path;
      EXPECT_EQ(doc->getValue<int>("sample_count"), 600) << path;
    }
  }
  const auto head = http_request("HEAD", s.url("/api/monitoring/history"));
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

TEST(HttpServerTest, AnswersPipelinedRequestsInOrder) {
  TestServer s(test::test_config("1s", "10m"));
  prefill(s.monitor, 600);
  s.start(false);
  std::string requests;
  for (const char* path : {"/health", "/api/monitoring/history", "/metrics", "/api/monitoring/current"}) {
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

TEST(HttpServerTest, BadMinutesGet400Json) {
  TestServer s(test::test_config("1s", "2h"));
  s.start(false);
  for (const char* bad : {"0", "121", "-5", "abc", "1.5", ""}) {
    expect_json_error(http_get(s.url(std::string("/api/monitoring/history?minutes=") + bad)), 400,
                      "minutes: expected an integer from 1 to 120");
  }
}

TEST(HttpServerTest, AlertsAndHealthHaveEveryField) {
  TestServer s(test::test_config("1s", "1m", "alerts:\n  - {metric: host_memory_percent, above: {critical: 0}}\n"));
  prefill(s.monitor, 2);
  s.start(false);
  auto alerts = parse_object(http_get(s.url("/api/monitoring/alerts")).body);
  test::expect_keys(alerts, {"alerts", "count"}, "alerts");
  EXPECT_EQ(alerts->getValue<int>("count"), 1);
  ASSERT_EQ(alerts->getArray("alerts")->size(), 1u);
  EXPECT_EQ(alerts->getArray("alerts")->getObject(0)->getValue<std::string>("severity"), "critical");
  auto health = parse_object(http_get(s.url("/api/monitoring/health")).body);
  test::expect_keys(health,
                    {"status", "samples_collected", "max_samples", "history_window", "sample_interval",
                     "memory_estimate_mb", "collectors"},
                    "health");
  EXPECT_EQ(health->getValue<int>("samples_collected"), 2);
  EXPECT_EQ(health->getValue<int>("max_samples"), 60);
  EXPECT_EQ(health->getValue<double>("history_window"), 60.0);
  EXPECT_TRUE(health->getObject("collectors")->has("system"));
  const auto live = http_get(s.url("/health"));
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(parse_object(live.body)->getValue<std::string>("status"), "ok");
}

TEST(HttpServerTest, UnknownPathIs404AndWrongMethodIs405) {
  TestServer s(test::test_config("1s", "1m"));
  s.start(false);
  expect_json_error(http_get(s.url("/api/monitoring/nope")), 404, "no such endpoint: /api/monitoring/nope");
  expect_json_error(http_get(s.url("/monitoring/assets/missing.js")), 404, "no such asset");
  for (const char* path : {"/api/monitoring/current", "/metrics", "/health", "/api/monitoring/history"}) {
    const auto r = http_request("POST", s.url(path), {}, "x");
    expect_json_error(r, 405, "method POST not allowed");
    EXPECT_EQ(r.headers.count("allow") ? r.headers.at("allow") : "", "GET, HEAD") << path;
  }
  expect_json_error(http_request("DELETE", s.url("/api/monitoring/alerts")), 405, "method DELETE");
  const auto head = http_request("HEAD", s.url("/api/monitoring/current"));
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

TEST(HttpServerTest, RootAndTrailingSlashRedirectRelativelyToTheDashboard) {
  TestServer s(test::test_config("1s", "1m"));
  s.start(false);
  const auto root = http_get(s.url("/"));
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(root.headers.count("location") ? root.headers.at("location") : "", "monitoring");
  const auto slash = http_get(s.url("/monitoring/"));
  EXPECT_EQ(slash.status, 302);
  EXPECT_EQ(slash.headers.count("location") ? slash.headers.at("location") : "", "../monitoring");
  const auto page = http_get(s.url("/monitoring"));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.headers.count("cache-control") ? page.headers.at("cache-control") : "", "no-cache");
}

TEST(HttpServerTest, OversizedRequestsGet414And431And413) {
  server::HttpServerOptions o;
  o.max_uri_length = 1024;
  o.max_header_bytes = 8192;
  o.max_body_bytes = 1000;
  TestServer s(test::test_config("1s", "1m"), o);
  s.start(false);
  expect_json_error(http_get(s.url("/api/monitoring/current?pad=" + std::string(1100, 'a'))), 414,
                    "request target longer than 1024 bytes");
  expect_json_error(http_get(s.url("/api/monitoring/current"),
                             {{"X-Pad-1", std::string(5000, 'a')}, {"X-Pad-2", std::string(5000, 'b')}}),
                    431, "request header fields larger than 8192 bytes");
  expect_json_error(http_request("POST", s.url("/api/monitoring/current"), {}, std::string(5000, 'x')), 413,
                    "request body larger than 1000 bytes");
  // Within the limits the same requests are served.
  EXPECT_EQ(http_get(s.url("/api/monitoring/current?pad=" + std::string(900, 'a'))).status, 200);
  EXPECT_EQ(http_get(s.url("/api/monitoring/current"), {{"X-Pad", std::string(4000, 'a')}}).status, 200);
}

TEST(HttpServerTest, BearerTokenGuardsEverythingButLiveness) {
  server::HttpServerOptions o;
  o.auth_token = "tok-9f8e7d6c5b4a";
  TestServer s(test::test_config("1s", "1m"), o);
  s.start(false);
  for (const char* path : {"/api/monitoring/current", "/metrics", "/monitoring", "/api/monitoring/ws", "/nope"}) {
    const auto r = http_get(s.url(path));
    expect_json_error(r, 401, "authentication required");
    EXPECT_EQ(r.headers.count("www-authenticate") ? r.headers.at("www-authenticate") : "",
              "Bearer realm=\"resync-mon\"")
        << path;
  }
  expect_json_error(http_get(s.url("/metrics"), {{"Authorization", "Bearer tok-9f8e7d6c5b4"}}), 401, "authentication");
  expect_json_error(http_get(s.url("/metrics"), {{"Authorization", "Basic dG9rLTlmOGU3ZDZjNWI0YQ=="}}), 401,
                    "authentication");
  EXPECT_EQ(http_get(s.url("/metrics"), {{"Authorization", "Bearer tok-9f8e7d6c5b4a"}}).status, 200);
  EXPECT_EQ(http_get(s.url("/api/monitoring/current"), {{"Authorization", "bearer tok-9f8e7d6c5b4a"}}).status, 200);
  EXPECT_EQ(http_get(s.url("/health")).status, 200);
}

TEST(HttpServerTest, BasicAuthGuardsEverythingButLivenessAndLeaksNoSecret) {
  std::string logged;
  LogSink previous = set_log_sink([&logged](LogLevel, std::string_view line) { logged.append(line) += '\n'; });
  server::HttpServerOptions o;
  o.auth_user = "ops";
  o.auth_password = "pa55-Wd-31337";
  {
    TestServer s(test::test_config("200ms", "1m"), o);
    s.start();
    const auto denied = http_get(s.url("/api/monitoring/current"));
    expect_json_error(denied, 401, "authentication required");
    EXPECT_EQ(denied.headers.at("www-authenticate"), "Basic realm=\"resync-mon\", charset=\"UTF-8\"");
    // "ops:pa55-Wd-31337" and a wrong password.
    const std::map<std::string, std::string> good{{"Authorization", "Basic b3BzOnBhNTUtV2QtMzEzMzc="}};
    expect_json_error(http_get(s.url("/metrics"), {{"Authorization", "Basic b3BzOnBhNTUtV2QtMzEzMzg="}}), 401,
                      "authentication");
    std::this_thread::sleep_for(500ms);
    std::string served;
    for (const char* path : {"/api/monitoring/current", "/api/monitoring/history", "/api/monitoring/alerts",
                             "/api/monitoring/health", "/metrics", "/monitoring", "/nope"}) {
      const auto r = http_get(s.url(path), good);
      EXPECT_NE(r.status, 401) << path;
      served += r.body;
    }
    served += http_get(s.url("/health")).body;
    EXPECT_THAT(served, testing::Not(testing::HasSubstr("pa55-Wd-31337")));
    EXPECT_THAT(served, testing::Not(testing::HasSubstr("b3BzOnBhNTUtV2QtMzEzMzc")));
  }
  set_log_sink(std::move(previous));
  EXPECT_THAT(logged, testing::Not(testing::HasSubstr("pa55-Wd-31337")));
}

TEST(HttpServerTest, CachedDocumentsChangeOncePerSample) {
  TestServer s(test::test_config("200ms", "1m"));
  s.start();
  std::this_thread::sleep_for(300ms);
  const uint64_t first = s.monitor.store().appended();
  std::set<std::string> currents, histories, metrics;
  int requests = 0;
  const auto until = std::chrono::steady_clock::now() + 1200ms;
  while (std::chrono::steady_clock::now() < until) {
    currents.insert(http_get(s.url("/api/monitoring/current")).body);
    histories.insert(http_get(s.url("/api/monitoring/history")).body);
    metrics.insert(http_get(s.url("/metrics")).body);
    ++requests;
  }
  const uint64_t samples = s.monitor.store().appended() - first;
  ASSERT_GE(samples, 4u);
  ASSERT_GT(requests, 50);
  // One document per sample taken during the loop, plus the one current when it began; never
  // one per request (uptime and correlation ids would differ otherwise).
  EXPECT_GE(currents.size(), samples);
  EXPECT_LE(currents.size(), samples + 1);
  EXPECT_GE(histories.size(), samples);
  EXPECT_LE(histories.size(), samples + 1);
  EXPECT_LE(metrics.size(), samples + 1);
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
#include "router.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "server_test_util.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using test::expect_json_error;
using test::http_get;
using test::http_request;
using test::parse_object;
using test::prefill;
using test::TestServer;

TEST(RouterTest, ConvertsHistoryMinutesToRows) {
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

TEST(RouterTest, WritesErrorsAsJson) {
  EXPECT_EQ(server::detail::error_json(404, "no \"such\" thing"),
            R"({"error":"no \"such\" thing","status":404})");
}

TEST(RouterTest, CurrentHasEveryField) {
  TestServer s(test::test_config(
      "1s", "10m", "alerts:\n  - {metric: host_memory_percent, above: {warning: 0}}\n"));
  prefill(s.monitor, 3);
  s.start(false);
  const auto r = http_get(s.url("/api/monitoring/current"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  auto doc = parse_object(r.body);
  test::expect_keys(
      doc,
      {"status", "uptime", "uptime_seconds", "version", "last_update", "timestamp", "api", "cache",
       "agents", "llm", "tws", "system", "alerts", "host", "collectors"},
      "current");
  test::expect_keys(doc->getObject("api"),
                    {"requests_per_sec", "requests_total", "error_rate", "error_count",
                     "response_time_p50", "response_time_p95", "response_time_avg", "trend"},
                    "api");
  test::expect_keys(doc->getObject("cache"),
                    {"hit_ratio", "hits", "misses", "size", "evictions", "trend"}, "cache");
  test::expect_keys(doc->getObject("agents"), {"active", "created_total", "failed_total", "trend"},
                    "agents");
  test::expect_keys(doc->getObject("llm"), {"requests", "tokens_used", "errors"}, "llm");
  test::expect_keys(
      doc->getObject("tws"),
      {"connected", "latency_ms", "requests_success", "requests_failed", "status", "jobs"}, "tws");
  test::expect_keys(doc->getObject("tws")->getObject("jobs"),
                    {"error", "running", "waiting", "done"}, "tws.jobs");
  test::expect_keys(doc->getObject("system"),
                    {"availability", "async_operations", "correlation_ids"}, "system");
  test::expect_keys(doc->getObject("host"),
                    {"cpu_percent", "memory_percent", "load1", "process_rss_bytes"}, "host");
  test::expect_keys(doc->getObject("collectors")->getObject("system"),
                    {"up", "last_error", "duration_ms"}, "collectors.system");
  EXPECT_TRUE(doc->getObject("collectors")->getObject("system")->getValue<bool>("up"));
  EXPECT_GT(doc->getObject("host")->getValue<double>("process_rss_bytes"), 1e6);
  auto alerts = doc->getArray("alerts");
  ASSERT_EQ(alerts->size(), 1u) << r.body;
  test::expect_keys(alerts->getObject(0),
                    {"type", "severity", "message", "timestamp", "started_at", "resolved_at"},
                    "alerts[0]");
}

TEST(RouterTest, ZerosBeforeTheFirstSample) {
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

TEST(RouterTest, HistoryHasEveryFieldAndHonoursMinutes) {
  TestServer s(test::test_config("1s", "3m"));
  prefill(s.monitor, 150);
  s.start(false);
  const auto r = http_get(s.url("/api/monitoring/history"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = parse_object(r.body);
  test::expect_keys(
      doc,
      {"timestamps", "epoch", "api", "cache", "agents", "tws", "sample_count", "interval_seconds"},
      "history");
  test::expect_keys(doc->getObject("api"),
                    {"requests_per_sec", "error_rate", "response_time_p50", "response_time_p95"},
                    "api");
  test::expect_keys(doc->getObject("cache"), {"hit_ratio", "operations"}, "cache");
  test::expect_keys(doc->getObject("agents"), {"active", "created"}, "agents");
  test::expect_keys(doc->getObject("tws"), {"latency", "connected"}, "tws");
  EXPECT_EQ(doc->getValue<int>("sample_count"), 150);
  EXPECT_EQ(doc->getArray("timestamps")->size(), 150u);
  EXPECT_EQ(doc->getArray("epoch")->size(), 150u);
  EXPECT_EQ(doc->getObject("api")->getArray("requests_per_sec")->size(), 150u);
  EXPECT_EQ(doc->getValue<double>("interval_seconds"), 1.0);

  EXPECT_EQ(parse_object(http_get(s.url("/api/monitoring/history?minutes=1")).body)
                ->getValue<int>("sample_count"),
            60);
  EXPECT_EQ(parse_object(http_get(s.url("/api/monitoring/history?minutes=2")).body)
                ->getValue<int>("sample_count"),
            120);
  EXPECT_EQ(http_get(s.url("/api/monitoring/history?minutes=3")).body, r.body);
  EXPECT_EQ(http_get(s.url("/api/monitoring/history?x=1&minutes=3")).body, r.body);
}

TEST(RouterTest, BadMinutesGet400Json) {
  TestServer s(test::test_config("1s", "2h"));
  s.start(false);
  for (const char* bad : {"0", "121", "-5", "abc", "1.5", ""}) {
    expect_json_error(http_get(s.url(std::string("/api/monitoring/history?minutes=") + bad)), 400,
                      "minutes: expected an integer from 1 to 120");
  }
}

TEST(RouterTest, AlertsAndHealthHaveEveryField) {
  TestServer s(test::test_config(
      "1s", "1m", "alerts:\n  - {metric: host_memory_percent, above: {critical: 0}}\n"));
  prefill(s.monitor, 2);
  s.start(false);
  auto alerts = parse_object(http_get(s.url("/api/monitoring/alerts")).body);
  test::expect_keys(alerts, {"alerts", "count"}, "alerts");
  EXPECT_EQ(alerts->getValue<int>("count"), 1);
  ASSERT_EQ(alerts->getArray("alerts")->size(), 1u);
  EXPECT_EQ(alerts->getArray("alerts")->getObject(0)->getValue<std::string>("severity"),
            "critical");
  auto health = parse_object(http_get(s.url("/api/monitoring/health")).body);
  test::expect_keys(health,
                    {"status", "samples_collected", "max_samples", "history_window",
                     "sample_interval", "memory_estimate_mb", "collectors"},
                    "health");
  EXPECT_EQ(health->getValue<int>("samples_collected"), 2);
  EXPECT_EQ(health->getValue<int>("max_samples"), 60);
  EXPECT_EQ(health->getValue<double>("history_window"), 60.0);
  EXPECT_TRUE(health->getObject("collectors")->has("system"));
  const auto live = http_get(s.url("/health"));
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(parse_object(live.body)->getValue<std::string>("status"), "ok");
}

TEST(RouterTest, UnknownPathIs404AndWrongMethodIs405) {
  TestServer s(test::test_config("1s", "1m"));
  s.start(false);
  expect_json_error(http_get(s.url("/api/monitoring/nope")), 404,
                    "no such endpoint: /api/monitoring/nope");
  expect_json_error(http_get(s.url("/monitoring/assets/missing.js")), 404, "no such asset");
  for (const char* path :
       {"/api/monitoring/current", "/metrics", "/health", "/api/monitoring/history"}) {
    const auto r = http_request("POST", s.url(path), {}, "x");
    expect_json_error(r, 405, "method POST not allowed");
    EXPECT_EQ(r.headers.count("allow") ? r.headers.at("allow") : "", "GET, HEAD") << path;
  }
  expect_json_error(http_request("DELETE", s.url("/api/monitoring/alerts")), 405, "method DELETE");
  const auto head = http_request("HEAD", s.url("/api/monitoring/current"));
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

TEST(RouterTest, RootAndTrailingSlashRedirectRelativelyToTheDashboard) {
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
  EXPECT_EQ(page.headers.count("cache-control") ? page.headers.at("cache-control") : "",
            "no-cache");
}

TEST(RouterTest, OversizedRequestsGet414And431And413) {
  server::HttpServerOptions o;
  o.max_uri_length = 1024;
  o.max_header_bytes = 8192;
  o.max_body_bytes = 1000;
  TestServer s(test::test_config("1s", "1m"), o);
  s.start(false);
  expect_json_error(http_get(s.url("/api/monitoring/current?pad=" + std::string(1100, 'a'))), 414,
                    "request target longer than 1024 bytes");
  expect_json_error(
      http_get(s.url("/api/monitoring/current"),
               {{"X-Pad-1", std::string(5000, 'a')}, {"X-Pad-2", std::string(5000, 'b')}}),
      431, "request header fields larger than 8192 bytes");
  expect_json_error(
      http_request("POST", s.url("/api/monitoring/current"), {}, std::string(5000, 'x')), 413,
      "request body larger than 1000 bytes");
  // Within the limits the same requests are served.
  EXPECT_EQ(http_get(s.url("/api/monitoring/current?pad=" + std::string(900, 'a'))).status, 200);
  EXPECT_EQ(http_get(s.url("/api/monitoring/current"), {{"X-Pad", std::string(4000, 'a')}}).status,
            200);
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
// The JSON documents of SPEC section 7, rendered from a real Monitor.
#include "resync/catalog.hpp"
#include "resync/views/json.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "resync/views/prometheus_text.hpp"
#include "scripted_collector.hpp"
#include "test_support.hpp"
#include "views_support.hpp"

namespace resync {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using test::config;
using test::parse_object;
using test::snap;

std::set<std::string> keys(const Object::Ptr& o) {
  std::set<std::string> out;
  for (const auto& [k, v] : *o) out.insert(k);
  return out;
}

double number(const Object::Ptr& o, const std::string& key) {
  EXPECT_TRUE(o->has(key)) << key;
  const auto v = o->get(key);
  EXPECT_TRUE(v.isNumeric()) << key << " is " << v.toString();
  return v.isNumeric() ? v.convert<double>() : std::nan("");
}

// The fields SPEC section 7 promises in /current, plus the per-collector extras.
void expect_current_shape(const Object::Ptr& doc) {
  for (const char* k :
       {"status", "uptime", "uptime_seconds", "version", "last_update", "timestamp", "api", "cache",
        "agents", "llm", "tws", "system", "alerts", "host", "collectors"}) {
    EXPECT_TRUE(doc->has(k)) << k;
  }
  EXPECT_THAT(keys(doc->getObject("api")),
              testing::IsSupersetOf({"requests_per_sec", "requests_total", "error_rate",
                                     "error_count", "response_time_p50", "response_time_p95",
                                     "response_time_avg", "trend"}));
  EXPECT_THAT(keys(doc->getObject("cache")),
              testing::IsSupersetOf({"hit_ratio", "hits", "misses", "size", "evictions", "trend"}));
  EXPECT_THAT(keys(doc->getObject("agents")),
              testing::IsSupersetOf({"active", "created_total", "failed_total", "trend"}));
  EXPECT_THAT(keys(doc->getObject("llm")),
              testing::IsSupersetOf({"requests", "tokens_used", "errors"}));
  EXPECT_THAT(keys(doc->getObject("tws")),
              testing::IsSupersetOf({"connected", "latency_ms", "requests_success",
                                     "requests_failed", "status", "jobs"}));
  EXPECT_THAT(keys(doc->getObject("tws")->getObject("jobs")),
              testing::IsSupersetOf({"error", "running", "waiting", "done"}));
  EXPECT_THAT(keys(doc->getObject("system")),
              testing::IsSupersetOf({"availability", "async_operations", "correlation_ids"}));
  EXPECT_THAT(keys(doc->getObject("host")), testing::IsSupersetOf({"cpu_percent", "memory_percent",
                                                                   "load1", "process_rss_bytes"}));
  EXPECT_FALSE(doc->getArray("alerts").isNull());
}

TEST(ViewsTest, CurrentHasEveryFieldWithZerosBeforeTheFirstSample) {
  const Monitor monitor(config("interval: 5s\n"));
  const auto doc = parse_object(views::render_current(snap(monitor, 0)));
  expect_current_shape(doc);
  EXPECT_EQ(doc->getValue<std::string>("status"), "initializing");
  EXPECT_EQ(doc->getValue<std::string>("last_update"), "00:00:00");
  EXPECT_EQ(number(doc, "timestamp"), 0);
  EXPECT_EQ(doc->getValue<std::string>("version"), views::version());
  for (const char* group : {"api", "cache", "agents", "llm", "host", "system"}) {
    const auto o = doc->getObject(group);
    for (const auto& [k, v] : *o) EXPECT_EQ(number(o, k), 0) << group << "." << k;
  }
  const auto tws = doc->getObject("tws");
  EXPECT_EQ(tws->getValue<bool>("connected"), false);
  EXPECT_EQ(number(tws, "latency_ms"), 0);
  EXPECT_EQ(tws->getValue<std::string>("status"), "not configured");
  for (const char* k : {"error", "running", "waiting", "done"})
    EXPECT_EQ(number(tws->getObject("jobs"), k), 0);
  EXPECT_EQ(doc->getArray("alerts")->size(), 0u);
  EXPECT_EQ(doc->getObject("collectors")->size(), 0u);
}

TEST(ViewsTest, CurrentShowsTheNewestSampleTrendsAlertsAndCollectors) {
  // One sample a minute, so five minutes back is five rows back.
  auto ready = test::all_plugins([](const std::string& metric, int call) {
    if (metric == "requests_per_sec") return 10.0 + 1 * (call - 1);  // 10 .. 15
    if (metric == "error_rate") return call == 6 ? 12.0 : 1.0;
    if (metric == "tws_connected") return 1.0;
    if (metric == "cache_hit_ratio") return call == 6 ? std::nan("") : 90.0;
    if (metric == "system_availability") return std::nan("");  // derived by the sampler
    return 100.0 + call;
  });
  // The api plugin's own error-rate rule holds 30 s before firing; this one fires at once.
  Monitor monitor(
      config("interval: 1m\nwindow: 1h\nalerts:\n"
             "  - {metric: error_rate, above: {warning: 5}, at_least: {critical: 10}}\n"),
      std::move(ready.instances), std::move(ready.collectors));
  const int64_t t0 = 1'700'000'000'000;
  for (int i = 0; i < 6; ++i) monitor.sample_now(t0 + i * 60'000);
  const int64_t started =
      std::chrono::duration_cast<std::chrono::milliseconds>(monitor.started_at().time_since_epoch())
          .count();
  const auto doc = parse_object(views::render_current(snap(monitor, started + 3'900'000)));
  expect_current_shape(doc);

  EXPECT_EQ(doc->getValue<std::string>("uptime"), "1h 5m");
  EXPECT_EQ(number(doc, "uptime_seconds"), 3900);
  EXPECT_EQ(number(doc, "timestamp"), (t0 + 300'000) / 1000);
  EXPECT_EQ(doc->getValue<std::string>("last_update"), views::format_clock(t0 + 300'000));
  // A critical alert is active: the service is degraded.
  EXPECT_EQ(doc->getValue<std::string>("status"), "degraded");

  const auto api = doc->getObject("api");
  EXPECT_EQ(number(api, "requests_per_sec"), 15);
  EXPECT_EQ(number(api, "trend"), 50);  // 10 -> 15 over five minutes
  EXPECT_EQ(number(api, "error_rate"), 12);
  EXPECT_EQ(number(api, "requests_total"), 106);
  // A value missing from the sample is null, not zero, and gives no trend.
  const auto cache = doc->getObject("cache");
  EXPECT_TRUE(cache->isNull("hit_ratio"));
  EXPECT_EQ(number(cache, "trend"), 0);
  EXPECT_EQ(number(cache, "hits"), 106);
  EXPECT_EQ(doc->getObject("tws")->getValue<bool>("connected"), true);
  EXPECT_EQ(number(doc->getObject("tws")->getObject("jobs"), "done"), 106);
  EXPECT_EQ(number(doc->getObject("host"), "cpu_percent"), 106);
  EXPECT_EQ(number(doc->getObject("system"), "availability"), 100);
  EXPECT_EQ(number(doc->getObject("system"), "correlation_ids"), 30);  // runs started

  const auto alerts = doc->getArray("alerts");
  ASSERT_EQ(alerts->size(), 1u);
  const auto alert = alerts->getObject(0);
  EXPECT_THAT(keys(alert), testing::IsSupersetOf({"type", "severity", "message", "timestamp",
                                                  "started_at", "resolved_at"}));
  EXPECT_EQ(alert->getValue<std::string>("type"), "error_rate");
  EXPECT_EQ(alert->getValue<std::string>("severity"), "critical");
  EXPECT_TRUE(alert->isNull("resolved_at"));

  const auto collectors = doc->getObject("collectors");
  EXPECT_THAT(keys(collectors), testing::ElementsAre("agents", "api", "cache", "system", "tws"));
  const auto api_health = collectors->getObject("api");
  EXPECT_THAT(keys(api_health), testing::IsSupersetOf({"up", "last_error", "duration_ms"}));
  EXPECT_EQ(api_health->getValue<bool>("up"), true);
  EXPECT_EQ(api_health->getValue<std::string>("last_error"), "");
}

TEST(ViewsTest, HistoryArraysHaveSampleCountEntries) {
  auto ready = test::all_plugins([](const std::string&, int call) { return double(call); });
  Monitor monitor(config("interval: 5s\nwindow: 1m\n"), std::move(ready.instances),
                  std::move(ready.collectors));
  {
    const auto empty = parse_object(views::render_history(snap(monitor)));
    EXPECT_EQ(number(empty, "sample_count"), 0);
    EXPECT_EQ(empty->getArray("timestamps")->size(), 0u);
  }
  for (int i = 0; i < 15; ++i)
    monitor.sample_now(1'700'000'000'000 + i * 5000);  // wraps the 12-row window
  for (size_t max_rows : {size_t(SIZE_MAX), size_t(4)}) {
    const auto doc = parse_object(views::render_history(snap(monitor, 0, max_rows)));
    const size_t n = max_rows == SIZE_MAX ? 12 : 4;
    EXPECT_EQ(number(doc, "sample_count"), double(n));
    EXPECT_EQ(number(doc, "interval_seconds"), 5);
    EXPECT_EQ(doc->getArray("timestamps")->size(), n);
    EXPECT_EQ(doc->getArray("epoch")->size(), n);
    EXPECT_EQ(doc->getArray("epoch")->getElement<int64_t>(n - 1),
              (1'700'000'000'000 + 14 * 5000) / 1000);
    const std::map<std::string, std::vector<std::string>> groups{
        {"api", {"requests_per_sec", "error_rate", "response_time_p50", "response_time_p95"}},
        {"cache", {"hit_ratio", "operations"}},
        {"agents", {"active", "created"}},
        {"tws", {"latency", "connected"}}};
    for (const auto& [group, series] : groups) {
      for (const std::string& s : series) {
        ASSERT_FALSE(doc->getObject(group)->getArray(s).isNull()) << group << "." << s;
        EXPECT_EQ(doc->getObject(group)->getArray(s)->size(), n) << group << "." << s;
      }
    }
    // Oldest first; counters (hits + misses) grew by 2 each interval.
    const auto rps = doc->getObject("api")->getArray("requests_per_sec");
    EXPECT_EQ(rps->getElement<double>(n - 1), 15);
    EXPECT_EQ(rps->getElement<double>(0), 15 - double(n) + 1);
    EXPECT_TRUE(doc->getObject("cache")->getArray("operations")->isNull(0));
    EXPECT_EQ(doc->getObject("cache")->getArray("operations")->getElement<double>(1), 2);
  }
}

// Every name of a document in the order it is written, nested ones included.
std::vector<std::string> names_in_order(const std::string& json) {
  static const std::regex kName("\"([a-z0-9_]+)\":");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(json.begin(), json.end(), kName);
       it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

// The original Resync dashboard's documents come from one table; their fields keep the original
// order, byte for byte, before anything the plugins add.
TEST(ViewsTest, OriginalShapesKeepTheirOrder) {
  auto ready = test::all_plugins([](const std::string&, int call) { return double(call); });
  Monitor monitor(config("interval: 5s\nwindow: 1m\n"), std::move(ready.instances),
                  std::move(ready.collectors));
  const std::string history = views::render_history(snap(monitor));
  EXPECT_EQ(history.substr(0, history.find(",\"series\":")),
            "{\"timestamps\":[],\"epoch\":[],\"api\":{\"requests_per_sec\":[],\"error_rate\":[],"
            "\"response_time_p50\":[],\"response_time_p95\":[]},\"cache\":{\"hit_ratio\":[],"
            "\"operations\":[]},\"agents\":{\"active\":[],\"created\":[]},\"tws\":{\"latency\":[],"
            "\"connected\":[]},\"host\":{\"cpu_percent\":[],\"memory_percent\":[],\"load1\":[]},"
            "\"sample_count\":0,\"interval_seconds\":5");

  monitor.sample_now(1'700'000'000'000);
  const std::string current = views::render_current(snap(monitor));
  const std::vector<std::string> names =
      names_in_order(current.substr(0, current.find("\"collectors\":")));
  EXPECT_THAT(
      names,
      testing::ElementsAre(
          "status", "uptime", "uptime_seconds", "version", "last_update", "timestamp", "api",
          "requests_per_sec", "requests_total", "error_rate", "error_count", "response_time_p50",
          "response_time_p95", "response_time_avg", "trend", "cache", "hit_ratio", "hits", "misses",
          "size", "evictions", "trend", "agents", "active", "created_total", "failed_total",
          "trend", "llm", "requests", "tokens_used", "errors", "tws", "connected", "latency_ms",
          "requests_success", "requests_failed", "status", "jobs", "error", "running", "waiting",
          "done", "system", "availability", "async_operations", "correlation_ids", "alerts", "host",
          "cpu_percent", "memory_percent", "load1", "process_rss_bytes"));
}

TEST(ViewsTest, HealthAndAlertsDocuments) {
  auto ready = test::all_plugins(
      [](const std::string& metric, int) { return metric == "tws_connected" ? 0.0 : 1.0; });
  // The tws plugin's own rule holds 30 s before firing; this one fires on the first sample.
  Monitor monitor(config("interval: 5s\nwindow: 2h\nalerts:\n  - {metric: tws_connected, equals: "
                         "{critical: 0}}\n"),
                  std::move(ready.instances), std::move(ready.collectors));
  monitor.sample_now(5000);
  const auto health = parse_object(views::render_health(snap(monitor)));
  EXPECT_EQ(health->getValue<std::string>("status"), "ok");
  EXPECT_EQ(number(health, "samples_collected"), 1);
  EXPECT_EQ(number(health, "max_samples"), 1440);
  EXPECT_EQ(number(health, "history_window"), 7200);
  EXPECT_EQ(number(health, "sample_interval"), 5);
  EXPECT_GT(number(health, "memory_estimate_mb"), 0);
  EXPECT_EQ(health->getObject("collectors")->size(), 5u);
  EXPECT_EQ(health->getObject("collectors")->getObject("tws")->getValue<bool>("up"), true);

  const auto alerts = parse_object(views::render_alerts(snap(monitor)));
  EXPECT_EQ(number(alerts, "count"), 1);
  ASSERT_EQ(alerts->getArray("alerts")->size(), 1u);
  EXPECT_EQ(alerts->getArray("alerts")->getObject(0)->getValue<std::string>("type"),
            "tws_connected");
}

TEST(ViewsTest, FormatUptimeAndClock) {
  EXPECT_EQ(views::format_uptime(0), "0h 0m");
  EXPECT_EQ(views::format_uptime(3900), "1h 5m");
  EXPECT_EQ(views::format_uptime(90061), "1d 1h 1m");
  EXPECT_EQ(views::format_uptime(-5), "0h 0m");
  EXPECT_THAT(views::format_clock(1'700'000'000'000),
              testing::MatchesRegex("[0-2][0-9]:[0-5][0-9]:[0-5][0-9]"));
}

// Readers render every document while the sampler writes: meant for the ThreadSanitizer build.
TEST(ViewsConcurrencyTest, RenderWhileSampling) {
  auto ready = test::all_plugins([](const std::string&, int call) { return double(call); });
  Monitor monitor(config("interval: 20ms\nwindow: 2s\n"), std::move(ready.instances),
                  std::move(ready.collectors));
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, rendered{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([&] {
      while (!done.load()) {
        const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        try {
          parse_object(views::render_current(snap(monitor, now)));
          parse_object(views::render_history(snap(monitor)));
          parse_object(views::render_health(snap(monitor)));
          parse_object(views::render_alerts(snap(monitor)));
        } catch (const std::exception&) {
          bad.fetch_add(1);
        }
        if (views::render_prometheus(snap(monitor)).find("resync_mon_collector_up") ==
            std::string::npos)
          bad.fetch_add(1);
        rendered.fetch_add(1);
      }
    });
  }
  std::atomic<int> samples{0};
  monitor.add_listener([&](int64_t) { samples.fetch_add(1); });
  monitor.start();
  test::eventually([&] { return samples.load() >= 15; });
  monitor.stop();
  done = true;
  for (auto& r : readers) r.join();
  EXPECT_GE(samples.load(), 15);
  EXPECT_GT(rendered.load(), 0);
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace resync

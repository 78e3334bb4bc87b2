// SPDX-License-Identifier: MIT
// The JSON documents of SPEC section 7 and the Prometheus text, rendered from a real Monitor.
#include "resync/server/views.hpp"
#include "resync/catalog.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "resync/server/prometheus_text.hpp"
#include "scripted_collector.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Config config(const std::string& yaml) {
  return parse_config(yaml, ConfigFormat::kYaml, "views_test.yaml");
}

// The views render plain snapshots; `now_ms` stands in for the wall clock of the copy.
MonitorSnapshot snap(const Monitor& monitor, int64_t now_ms = 0, size_t rows = SIZE_MAX) {
  MonitorSnapshot s = monitor.snapshot(rows);
  if (now_ms) s.taken_at_ms = now_ms;
  return s;
}

Object::Ptr parse_object(const std::string& json) {
  Poco::JSON::Parser parser;
  return parser.parse(json).extract<Object::Ptr>();
}

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
  const auto doc = parse_object(server::render_current(snap(monitor, 0)));
  expect_current_shape(doc);
  EXPECT_EQ(doc->getValue<std::string>("status"), "initializing");
  EXPECT_EQ(doc->getValue<std::string>("last_update"), "00:00:00");
  EXPECT_EQ(number(doc, "timestamp"), 0);
  EXPECT_EQ(doc->getValue<std::string>("version"), server::version());
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
  Monitor monitor(config("interval: 1m\nwindow: 1h\n"), std::move(ready.instances),
                  std::move(ready.collectors));
  const int64_t t0 = 1'700'000'000'000;
  for (int i = 0; i < 6; ++i) monitor.sample_now(t0 + i * 60'000);
  const int64_t started =
      std::chrono::duration_cast<std::chrono::milliseconds>(monitor.started_at().time_since_epoch())
          .count();
  const auto doc = parse_object(server::render_current(snap(monitor, started + 3'900'000)));
  expect_current_shape(doc);

  EXPECT_EQ(doc->getValue<std::string>("uptime"), "1h 5m");
  EXPECT_EQ(number(doc, "uptime_seconds"), 3900);
  EXPECT_EQ(number(doc, "timestamp"), (t0 + 300'000) / 1000);
  EXPECT_EQ(doc->getValue<std::string>("last_update"), server::format_clock(t0 + 300'000));
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
    const auto empty = parse_object(server::render_history(snap(monitor)));
    EXPECT_EQ(number(empty, "sample_count"), 0);
    EXPECT_EQ(empty->getArray("timestamps")->size(), 0u);
  }
  for (int i = 0; i < 15; ++i)
    monitor.sample_now(1'700'000'000'000 + i * 5000);  // wraps the 12-row window
  for (size_t max_rows : {size_t(SIZE_MAX), size_t(4)}) {
    const auto doc = parse_object(server::render_history(snap(monitor, 0, max_rows)));
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

TEST(ViewsTest, HealthAndAlertsDocuments) {
  auto ready = test::all_plugins(
      [](const std::string& metric, int) { return metric == "tws_connected" ? 0.0 : 1.0; });
  Monitor monitor(config("interval: 5s\nwindow: 2h\n"), std::move(ready.instances),
                  std::move(ready.collectors));
  monitor.sample_now(5000);
  const auto health = parse_object(server::render_health(snap(monitor)));
  EXPECT_EQ(health->getValue<std::string>("status"), "ok");
  EXPECT_EQ(number(health, "samples_collected"), 1);
  EXPECT_EQ(number(health, "max_samples"), 1440);
  EXPECT_EQ(number(health, "history_window"), 7200);
  EXPECT_EQ(number(health, "sample_interval"), 5);
  EXPECT_GT(number(health, "memory_estimate_mb"), 0);
  EXPECT_EQ(health->getObject("collectors")->size(), 5u);
  EXPECT_EQ(health->getObject("collectors")->getObject("tws")->getValue<bool>("up"), true);

  const auto alerts = parse_object(server::render_alerts(snap(monitor)));
  EXPECT_EQ(number(alerts, "count"), 1);
  ASSERT_EQ(alerts->getArray("alerts")->size(), 1u);
  EXPECT_EQ(alerts->getArray("alerts")->getObject(0)->getValue<std::string>("type"),
            "tws_connected");
}

TEST(ViewsTest, FormatUptimeAndClock) {
  EXPECT_EQ(server::format_uptime(0), "0h 0m");
  EXPECT_EQ(server::format_uptime(3900), "1h 5m");
  EXPECT_EQ(server::format_uptime(90061), "1d 1h 1m");
  EXPECT_EQ(server::format_uptime(-5), "0h 0m");
  EXPECT_THAT(server::format_clock(1'700'000'000'000),
              testing::MatchesRegex("[0-2][0-9]:[0-5][0-9]:[0-5][0-9]"));
}

// --- Prometheus text format 0.0.4 -------------------------------------------------------------

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Names come from each series' unit and kind, as the real plugins declare them.
std::string exposed(const std::string& plugin, const std::string& series, double* scale = nullptr) {
  return server::exposition_name(test::described(plugin, {series}).front(), scale);
}

TEST(PrometheusTextTest, ExpositionNamesFollowPrometheusConventions) {
  double scale = 0;
  EXPECT_EQ(exposed("api", "response_time_p95", &scale), "resync_mon_response_time_p95_seconds");
  EXPECT_EQ(scale, 1e-3);
  EXPECT_EQ(exposed("tws", "tws_latency_ms", &scale), "resync_mon_tws_latency_seconds");
  EXPECT_EQ(server::exposition_name(host_series()[1]), "resync_mon_collector_duration_seconds");
  EXPECT_EQ(exposed("system", "system_uptime", &scale), "resync_mon_system_uptime_seconds");
  EXPECT_EQ(scale, 1);
  EXPECT_EQ(exposed("api", "requests_per_sec"), "resync_mon_requests_per_second");
  EXPECT_EQ(exposed("api", "requests_total"), "resync_mon_requests_total");
  EXPECT_EQ(exposed("cache", "cache_hits"), "resync_mon_cache_hits_total");
  EXPECT_EQ(exposed("cache", "cache_size"), "resync_mon_cache_size");
  EXPECT_EQ(exposed("system", "process_rss_bytes"), "resync_mon_process_rss_bytes");
  EXPECT_EQ(server::exposition_name(SeriesDescription("my_plugin_series")),
            "resync_mon_my_plugin_series");
  EXPECT_EQ(server::exposition_name({"queue_bytes_x", Unit::kBytes, Kind::kCounter, ""}),
            "resync_mon_queue_bytes_x_bytes_total");
}

TEST(PrometheusTextTest, HelpTypeValuesNaNAndLabelEscaping) {
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(std::make_unique<test::ScriptedCollector>([](SampleSink& s, int) {
    s.emit("tws_latency_ms", 250);
    s.emit("tws_requests_success", 42);
  }));
  collectors.push_back(std::make_unique<test::ScriptedCollector>(
      [](SampleSink& s, int) { s.emit("tws_latency_ms", std::nan("")); }));
  Monitor monitor(
      config("interval: 5s\n"),
      {{"prod", "tws", test::described("tws", {"tws_latency_ms", "tws_requests_success"})},
       {"q\"uo\\te\nnl", "tws", test::described("tws", {"tws_latency_ms"})}},
      std::move(collectors));
  monitor.sample_now(5000);
  const std::string text = server::render_prometheus(snap(monitor));
  const auto lines = lines_of(text);
  EXPECT_THAT(lines, testing::Contains(
                         "# HELP resync_mon_tws_latency_seconds Round trip of the engine probe."));
  EXPECT_THAT(lines, testing::Contains("# TYPE resync_mon_tws_latency_seconds gauge"));
  EXPECT_THAT(lines, testing::Contains("resync_mon_tws_latency_seconds{instance=\"prod\"} 0.25"));
  EXPECT_THAT(lines, testing::Contains(
                         "resync_mon_tws_latency_seconds{instance=\"q\\\"uo\\\\te\\nnl\"} NaN"));
  EXPECT_THAT(lines, testing::Contains("# TYPE resync_mon_tws_requests_success_total counter"));
  EXPECT_THAT(lines,
              testing::Contains("resync_mon_tws_requests_success_total{instance=\"prod\"} 42"));
  EXPECT_THAT(lines, testing::Contains("resync_mon_collector_up{collector=\"prod\"} 1"));
  EXPECT_THAT(lines, testing::Contains("# TYPE resync_mon_collector_duration_seconds gauge"));
  // One HELP and one TYPE per metric, before its samples; the text ends with a newline.
  size_t help = 0, type = 0;
  for (const std::string& l : lines) {
    help += l.rfind("# HELP resync_mon_tws_latency_seconds ", 0) == 0;
    type += l.rfind("# TYPE resync_mon_tws_latency_seconds ", 0) == 0;
  }
  EXPECT_EQ(help, 1u);
  EXPECT_EQ(type, 1u);
  EXPECT_EQ(text.back(), '\n');
}

// A target can report anything; /metrics never exports a counter that is negative or infinite.
TEST(PrometheusTextTest, CountersAreNeverNegativeOrInfinite) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::unique_ptr<Collector>> collectors;
  for (double v : {-5.0, inf, -inf, -0.0}) {
    collectors.push_back(std::make_unique<test::ScriptedCollector>([v](SampleSink& s, int) {
      s.emit("tws_requests_success", v);
      s.emit("tws_latency_ms", v);
    }));
  }
  collectors.push_back(std::make_unique<test::ScriptedCollector>(
      [](SampleSink& s, int call) { s.emit("tws_requests_success", call == 1 ? 7 : 3); }));
  const auto series = test::described("tws", {"tws_latency_ms", "tws_requests_success"});
  Monitor monitor(config("interval: 5s\n"),
                  {{"neg", "tws", series},
                   {"pinf", "tws", series},
                   {"ninf", "tws", series},
                   {"nzero", "tws", series},
                   {"reset", "tws", series}},
                  std::move(collectors));
  monitor.sample_now(5000);
  monitor.sample_now(10000);
  const auto lines = lines_of(server::render_prometheus(snap(monitor)));
  EXPECT_THAT(lines,
              testing::Contains("resync_mon_tws_requests_success_total{instance=\"neg\"} NaN"));
  EXPECT_THAT(lines,
              testing::Contains("resync_mon_tws_requests_success_total{instance=\"pinf\"} NaN"));
  EXPECT_THAT(lines,
              testing::Contains("resync_mon_tws_requests_success_total{instance=\"ninf\"} NaN"));
  EXPECT_THAT(lines,
              testing::Contains("resync_mon_tws_requests_success_total{instance=\"nzero\"} 0"));
  EXPECT_THAT(lines,
              testing::Contains("resync_mon_tws_requests_success_total{instance=\"reset\"} 3"));
  // Gauges keep what the text format allows them.
  EXPECT_THAT(lines, testing::Contains("resync_mon_tws_latency_seconds{instance=\"pinf\"} +Inf"));
  EXPECT_THAT(lines, testing::Contains("resync_mon_tws_latency_seconds{instance=\"neg\"} -0.005"));
}

TEST(PrometheusTextTest, EmptyStoreGivesNaNNotGarbage) {
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(std::make_unique<test::ScriptedCollector>([](SampleSink&, int) {}));
  const Monitor monitor(config("interval: 5s\n"),
                        {{"system", "system", test::described("system", {"host_load1"})}},
                        std::move(collectors));
  EXPECT_THAT(lines_of(server::render_prometheus(snap(monitor))),
              testing::Contains("resync_mon_host_load1{instance=\"system\"} NaN"));
}

TEST(PrometheusTextTest, PromtoolAcceptsTheWholeExposition) {
  const auto promtool = test::find_program("promtool");
  ASSERT_TRUE(promtool)
      << "promtool not found: install the Debian package `prometheus` (scripts/deps --test)";
  auto ready = test::all_plugins([](const std::string&, int call) { return 1.5 * call; });
  Monitor monitor(config("interval: 5s\n"), std::move(ready.instances),
                  std::move(ready.collectors));
  monitor.sample_now(5000);
  monitor.sample_now(10000);
  test::TempDir dir;
  test::write_file(dir.file("metrics.txt"), server::render_prometheus(snap(monitor)));
  test::Process check(
      {"/bin/sh", "-c", "exec " + *promtool + " check metrics < " + dir.file("metrics.txt")},
      dir.file("promtool.log"));
  const auto code = check.wait_exit(std::chrono::seconds{20});
  ASSERT_TRUE(code.has_value()) << "promtool did not finish";
  EXPECT_EQ(*code, 0) << test::read_file(dir.file("promtool.log"));
  EXPECT_EQ(test::read_file(dir.file("promtool.log")), "");
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
          parse_object(server::render_current(snap(monitor, now)));
          parse_object(server::render_history(snap(monitor)));
          parse_object(server::render_health(snap(monitor)));
          parse_object(server::render_alerts(snap(monitor)));
        } catch (const std::exception&) {
          bad.fetch_add(1);
        }
        if (server::render_prometheus(snap(monitor)).find("resync_mon_collector_up") ==
            std::string::npos)
          bad.fetch_add(1);
        rendered.fetch_add(1);
      }
    });
  }
  std::atomic<int> samples{0};
  monitor.add_listener([&](int64_t) { samples.fetch_add(1); });
  monitor.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (samples.load() < 15 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  monitor.stop();
  done = true;
  for (auto& r : readers) r.join();
  EXPECT_GE(samples.load(), 15);
  EXPECT_GT(rendered.load(), 0);
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
// /metrics: the Prometheus text format 0.0.4 rendered from a real Monitor, checked by promtool.
#include "resync/views/prometheus_text.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "resync/catalog.hpp"
#include "scripted_collector.hpp"
#include "test_support.hpp"
#include "views_support.hpp"

namespace resync {
namespace {

using test::config;
using test::snap;

// --- Prometheus text format 0.0.4 -------------------------------------------------------------

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Names come from each series' unit and kind, as the real plugins declare them.
std::string exposed(const std::string& plugin, const std::string& series, double* scale = nullptr) {
  return views::exposition_name(test::described(plugin, {series}).front(), scale);
}

TEST(PrometheusTextTest, ExpositionNamesFollowPrometheusConventions) {
  double scale = 0;
  EXPECT_EQ(exposed("api", "response_time_p95", &scale), "resync_mon_response_time_p95_seconds");
  EXPECT_EQ(scale, 1e-3);
  EXPECT_EQ(exposed("tws", "tws_latency_ms", &scale), "resync_mon_tws_latency_seconds");
  EXPECT_EQ(views::exposition_name(host_series()[1]), "resync_mon_collector_duration_seconds");
  EXPECT_EQ(exposed("system", "system_uptime", &scale), "resync_mon_system_uptime_seconds");
  EXPECT_EQ(scale, 1);
  EXPECT_EQ(exposed("api", "requests_per_sec"), "resync_mon_requests_per_second");
  EXPECT_EQ(exposed("api", "requests_total"), "resync_mon_requests_total");
  EXPECT_EQ(exposed("cache", "cache_hits"), "resync_mon_cache_hits_total");
  EXPECT_EQ(exposed("cache", "cache_size"), "resync_mon_cache_size");
  EXPECT_EQ(exposed("system", "process_rss_bytes"), "resync_mon_process_rss_bytes");
  EXPECT_EQ(views::exposition_name(SeriesDescription("my_plugin_series")),
            "resync_mon_my_plugin_series");
  EXPECT_EQ(views::exposition_name({"queue_bytes_x", Unit::kBytes, Kind::kCounter, ""}),
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
  const std::string text = views::render_prometheus(snap(monitor));
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
  const auto lines = lines_of(views::render_prometheus(snap(monitor)));
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
  EXPECT_THAT(lines_of(views::render_prometheus(snap(monitor))),
              testing::Contains("resync_mon_host_load1{instance=\"system\"} NaN"));
}

TEST(PrometheusTextTest, PromtoolAcceptsTheWholeExposition) {
  auto ready = test::all_plugins([](const std::string&, int call) { return 1.5 * call; });
  Monitor monitor(config("interval: 5s\n"), std::move(ready.instances),
                  std::move(ready.collectors));
  monitor.sample_now(5000);
  monitor.sample_now(10000);
  test::expect_promtool_accepts(views::render_prometheus(snap(monitor)));
}

}  // namespace
}  // namespace resync

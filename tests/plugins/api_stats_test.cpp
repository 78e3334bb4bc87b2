// SPDX-License-Identifier: MIT
// The api plugin's arithmetic: histogram_quantile as PromQL computes it, nearest-rank
// percentiles, status classes, the reservoir and rates from scraped counters.
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
#include "resync/error.hpp"

namespace resync {
namespace {

using plugin::api::ApiValues;
using plugin::api::HistogramBucket;
using plugin::api::PromApiNames;
using plugin::api::PromApiState;
using testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

const double kInf = std::numeric_limits<double>::infinity();

// ---- histogram_quantile ---------------------------------------------------------------------

const std::vector<HistogramBucket> kLatency = {{0.1, 600}, {0.25, 800}, {1, 990}, {kInf, 1007}};

TEST(HistogramQuantileTest, InterpolatesInsideTheBucketHoldingTheRank) {
  // rank 503.5 lies in the first bucket, which starts at 0.
  EXPECT_DOUBLE_EQ(plugin::api::histogram_quantile(0.5, kLatency), 0.1 * 503.5 / 600);
  // rank 956.65 lies in (0.25, 1]: 156.65 of its 190 observations.
  EXPECT_DOUBLE_EQ(plugin::api::histogram_quantile(0.95, kLatency), 0.25 + 0.75 * 156.65 / 190);
  EXPECT_DOUBLE_EQ(plugin::api::histogram_quantile(0, kLatency), 0);
}

TEST(HistogramQuantileTest, ReturnsHighestFiniteBoundWhenRankFallsInInfBucket) {
  EXPECT_EQ(plugin::api::histogram_quantile(0.99, kLatency), 1.0);
  EXPECT_EQ(plugin::api::histogram_quantile(1.0, kLatency), 1.0);
  EXPECT_EQ(plugin::api::histogram_quantile(0.5, {{0.5, 0}, {kInf, 10}}), 0.5);
}

TEST(HistogramQuantileTest, SortsAndMergesEqualBounds) {
  // "1" and "1.0" from two label sets are one bucket once summed.
  const std::vector<HistogramBucket> buckets = {
      {kInf, 20}, {1.0, 6}, {0.5, 2}, {1.0, 4}, {kInf, 0}};
  // 10 observations <= 1 (6 + 4), 20 in all: rank 10 is the top of (0.5, 1].
  EXPECT_DOUBLE_EQ(plugin::api::histogram_quantile(0.5, buckets), 1.0);
  EXPECT_DOUBLE_EQ(plugin::api::histogram_quantile(0.25, buckets), 0.5 + 0.5 * 3 / 8);
}

TEST(HistogramQuantileTest, ForcesCountsToBeMonotonic) {
  // A scrape is not atomic: the 0.2 bucket read lower than the 0.1 bucket. It is raised to 10.
  EXPECT_DOUBLE_EQ(
      plugin::api::histogram_quantile(0.5, {{0.1, 10}, {0.2, 8}, {0.4, 12}, {kInf, 12}}),
      0.1 * 6 / 10);
  EXPECT_DOUBLE_EQ(
      plugin::api::histogram_quantile(0.9, {{0.1, 10}, {0.2, 8}, {0.4, 12}, {kInf, 12}}),
      0.2 + 0.2 * (10.8 - 10) / 2);
}

TEST(HistogramQuantileTest, IsNaNWithoutInfBucketBucketsOrObservations) {
  EXPECT_TRUE(std::isnan(plugin::api::histogram_quantile(0.5, {})));
  EXPECT_TRUE(std::isnan(plugin::api::histogram_quantile(0.5, {{0.1, 1}, {1, 2}})));
  EXPECT_TRUE(std::isnan(plugin::api::histogram_quantile(0.5, {{kInf, 5}})));
  EXPECT_TRUE(std::isnan(plugin::api::histogram_quantile(0.5, {{0.1, 0}, {kInf, 0}})));
  EXPECT_TRUE(std::isnan(plugin::api::histogram_quantile(NAN, kLatency)));
}

TEST(HistogramQuantileTest, ReturnsInfinitiesForQuantilesOutOfRange) {
  EXPECT_EQ(plugin::api::histogram_quantile(-0.1, kLatency), -kInf);
  EXPECT_EQ(plugin::api::histogram_quantile(1.1, kLatency), kInf);
}

TEST(HistogramQuantileTest, DoesNotInterpolateBelowANonPositiveFirstBound) {
  const std::vector<HistogramBucket> buckets = {{-1, 2}, {0, 5}, {1, 10}, {kInf, 10}};
  EXPECT_EQ(plugin::api::histogram_quantile(0.1, buckets), -1);
  EXPECT_DOUBLE_EQ(plugin::api::histogram_quantile(0.3, buckets), -1 + 1.0 * 1 / 3);
}

// The same cases evaluated by PromQL itself: promtool's rule unit tests compare exactly, so
// this fails on any difference, down to the last bit.
TEST(HistogramQuantileTest, MatchesPromQLAsEvaluatedByPromtool) {
  const auto promtool = test::find_program("promtool");
  ASSERT_TRUE(promtool)
      << "promtool not found; it comes with Debian's prometheus package (scripts/deps --test)";
  struct Case {
    std::string metric;
    std::vector<std::pair<std::string, double>> buckets;  // le as written, count
  };
  const std::vector<Case> cases = {
      {"a", {{"0.1", 600}, {"0.25", 800}, {"1", 990}, {"+Inf", 1007}}},
      {"b", {{"0.5", 2}, {"1", 6}, {"1.0", 4}, {"+Inf", 20}}},
      {"c", {{"0.1", 10}, {"0.2", 8}, {"0.4", 12}, {"+Inf", 12}}},
      {"d", {{"-1", 2}, {"0", 5}, {"1", 10}, {"+Inf", 10}}},
      {"e",
       {{"0.005", 3},
        {"0.01", 17},
        {"0.025", 40},
        {"0.05", 41},
        {"0.1", 77},
        {"0.25", 78},
        {"0.5", 90},
        {"1", 91},
        {"2.5", 99},
        {"5", 99},
        {"10", 100},
        {"+Inf", 103}}},
  };
  const std::vector<double> quantiles = {0, 0.1, 0.5, 0.9, 0.95, 0.99, 1};
  std::ostringstream file;
  file.precision(17);
  file << "evaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n";
  for (const Case& c : cases) {
    for (const auto& [le, count] : c.buckets) {
      file << "      - series: '" << c.metric << "_bucket{le=\"" << le << "\"}'\n        values: '"
           << count << "'\n";
    }
  }
  file << "    promql_expr_test:\n";
  for (const Case& c : cases) {
    std::vector<HistogramBucket> ours;
    for (const auto& [le, count] : c.buckets)
      ours.push_back({*plugin::parse_prometheus_float(le), count});
    for (double q : quantiles) {
      file << "      - expr: histogram_quantile(" << q << ", " << c.metric
           << "_bucket)\n        eval_time: 0m\n"
           << "        exp_samples:\n          - labels: '{}'\n            value: "
           << plugin::api::histogram_quantile(q, ours) << "\n";
    }
  }
  test::TempDir dir;
  test::write_file(dir.file("quantiles.yml"), file.str());
  test::Process run({*promtool, "test", "rules", dir.file("quantiles.yml")},
                    dir.file("promtool.log"));
  const std::optional<int> code = run.wait_exit(30s);
  ASSERT_TRUE(code.has_value()) << "promtool did not finish";
  EXPECT_EQ(*code, 0) << test::read_file(dir.file("promtool.log"));
}

// ---- nearest rank, status classes, reservoir ------------------------------------------------

TEST(NearestRankQuantileTest, PicksAnObservedValue) {
  std::vector<double> values;
  for (int i = 100; i >= 1; --i) values.push_back(i);
  EXPECT_EQ(plugin::api::nearest_rank_quantile(values, 0.5), 50);
  EXPECT_EQ(plugin::api::nearest_rank_quantile(values, 0.95), 95);
  EXPECT_EQ(plugin::api::nearest_rank_quantile(values, 0.951), 96);
  EXPECT_EQ(plugin::api::nearest_rank_quantile(values, 0), 1);
  EXPECT_EQ(plugin::api::nearest_rank_quantile(values, 1), 100);
  std::vector<double> one = {7};
  EXPECT_EQ(plugin::api::nearest_rank_quantile(one, 0.95), 7);
  std::vector<double> none;
  EXPECT_TRUE(std::isnan(plugin::api::nearest_rank_quantile(none, 0.5)));
}

TEST(ServerErrorTest, RecognisesCodesAndClasses) {
  for (const char* s : {"500", "503", "599", "5xx", "5XX"})
    EXPECT_TRUE(plugin::api::is_server_error(s)) << s;
  for (const char* s : {"200", "499", "404", "4xx", "600", "50", "5x", "", "5000", "abc"}) {
    EXPECT_FALSE(plugin::api::is_server_error(s)) << s;
  }
}

TEST(ReservoirTest, KeepsABoundedUniformSample) {
  plugin::api::Reservoir r(1000);
  for (int i = 1; i <= 100000; ++i) r.add(i);
  EXPECT_EQ(r.offered(), 100000u);
  std::vector<double> kept = r.take();
  ASSERT_EQ(kept.size(), 1000u);
  EXPECT_EQ(r.offered(), 0u);
  // A uniform sample of 1..100000: its median is near 50000 (the standard error is ~1600).
  EXPECT_NEAR(plugin::api::nearest_rank_quantile(kept, 0.5), 50000, 8000);
  EXPECT_NEAR(plugin::api::nearest_rank_quantile(kept, 0.95), 95000, 4000);
  r.add(3);
  EXPECT_THAT(r.take(), testing::ElementsAre(3));
}

// ---- PromApiState ---------------------------------------------------------------------------

PromApiNames default_names() { return PromApiNames{}; }

std::string scrape_text(double ok, double errors, double fast, double slow, double sum) {
  std::ostringstream t;
  t << "# TYPE http_requests_total counter\n"
    << "http_requests_total{method=\"GET\",status=\"200\"} " << ok << "\n"
    << "http_requests_total{method=\"GET\",status=\"503\"} " << errors << "\n"
    << "http_request_duration_seconds_bucket{le=\"0.1\"} " << fast << "\n"
    << "http_request_duration_seconds_bucket{le=\"1\"} " << fast + slow << "\n"
    << "http_request_duration_seconds_bucket{le=\"+Inf\"} " << fast + slow << "\n"
    << "http_request_duration_seconds_sum " << sum << "\n"
    << "http_request_duration_seconds_count " << fast + slow << "\n";
  return t.str();
}

TEST(PromApiStateTest, FirstScrapeGivesCumulativeCountersOnly) {
  PromApiState state(default_names());
  const ApiValues v =
      state.update(plugin::parse_prometheus_text(scrape_text(90, 10, 80, 20, 12)), Clock::now());
  EXPECT_EQ(v.requests_total, 100);
  EXPECT_EQ(v.error_count, 10);
  EXPECT_TRUE(std::isnan(v.requests_per_sec));
  EXPECT_TRUE(std::isnan(v.error_rate));
  EXPECT_TRUE(std::isnan(v.response_time_p50));
  EXPECT_TRUE(std::isnan(v.response_time_p95));
  EXPECT_TRUE(std::isnan(v.response_time_avg));
  EXPECT_EQ(state.note(), "");
}

TEST(PromApiStateTest, ComputesRatesAndLatenciesFromIncreasesOverElapsedTime) {
  PromApiState state(default_names());
  const Clock::time_point t0 = Clock::now();
  state.update(plugin::parse_prometheus_text(scrape_text(90, 10, 80, 20, 12)), t0);
  // +190 ok, +10 errors; +100 fast and +100 slow observations summing to 30 s.
  const ApiValues v =
      state.update(plugin::parse_prometheus_text(scrape_text(280, 20, 180, 120, 42)), t0 + 4s);
  EXPECT_EQ(v.requests_total, 300);
  EXPECT_EQ(v.error_count, 20);
  EXPECT_DOUBLE_EQ(v.requests_per_sec, 200.0 / 4);
  EXPECT_DOUBLE_EQ(v.error_rate, 5.0);
  EXPECT_DOUBLE_EQ(v.response_time_p50, 100.0);  // the top of the 0.1 s bucket
  EXPECT_DOUBLE_EQ(v.response_time_p95, (0.1 + 0.9 * 90.0 / 100) * 1000);  // rank 190 of 200
  EXPECT_DOUBLE_EQ(v.response_time_avg, 30.0 / 200 * 1000);
}

TEST(PromApiStateTest, NoRequestInTheIntervalGivesNoErrorRate) {
  PromApiState state(default_names());
  const Clock::time_point t0 = Clock::now();
  state.update(plugin::parse_prometheus_text(scrape_text(90, 10, 80, 20, 12)), t0);
  const ApiValues busy =
      state.update(plugin::parse_prometheus_text(scrape_text(170, 30, 180, 20, 22)), t0 + 5s);
  EXPECT_DOUBLE_EQ(busy.error_rate, 20.0);
  // Same counters five seconds later: no traffic, which says nothing about errors.
  const ApiValues idle =
      state.update(plugin::parse_prometheus_text(scrape_text(170, 30, 180, 20, 22)), t0 + 10s);
  EXPECT_EQ(idle.requests_per_sec, 0);
  EXPECT_TRUE(std::isnan(idle.error_rate));
}

TEST(PromApiStateTest, CounterResetNeverGivesNegativeValues) {
  PromApiState state(default_names());
  const Clock::time_point t0 = Clock::now();
  state.update(plugin::parse_prometheus_text(scrape_text(1000, 50, 900, 150, 99)), t0);
  // The target restarted: every counter began again from 0.
  const ApiValues v =
      state.update(plugin::parse_prometheus_text(scrape_text(8, 2, 10, 0, 0.5)), t0 + 5s);
  EXPECT_EQ(v.requests_total, 10);
  EXPECT_DOUBLE_EQ(v.requests_per_sec, 10.0 / 5);
  EXPECT_DOUBLE_EQ(v.error_rate, 20.0);
  EXPECT_DOUBLE_EQ(v.response_time_avg, 50.0);
  EXPECT_GE(v.response_time_p50, 0);
}

TEST(PromApiStateTest, ResetOfOneSeriesIsSeenWhileOthersGrow) {
  PromApiState state(default_names());
  const Clock::time_point t0 = Clock::now();
  state.update(plugin::parse_prometheus_text(
                   "http_requests_total{pod=\"a\"} 100\nhttp_requests_total{pod=\"b\"} 100\n"),
               t0);
  // Pod a restarted (100 -> 3) while b served 50: the interval had 53 requests, not -47 or 3.
  const ApiValues v =
      state.update(plugin::parse_prometheus_text(
                       "http_requests_total{pod=\"a\"} 3\nhttp_requests_total{pod=\"b\"} 150\n"),
                   t0 + 1s);
  EXPECT_DOUBLE_EQ(v.requests_per_sec, 53);
}

TEST(PromApiStateTest, NewSeriesCountFromZeroAndMissingOnesResume) {
  PromApiState state(default_names());
  const Clock::time_point t0 = Clock::now();
  state.update(plugin::parse_prometheus_text("http_requests_total{code=\"200\"} 100\n"), t0);
  // The first 503s create their series: all 7 happened in this interval.
  ApiValues v = state.update(
      plugin::parse_prometheus_text(
          "http_requests_total{code=\"200\"} 133\nhttp_requests_total{code=\"503\"} 7\n"),
      t0 + 1s);
  EXPECT_DOUBLE_EQ(v.requests_per_sec, 40);
  EXPECT_DOUBLE_EQ(v.error_rate, 100.0 * 7 / 40);
  // A partial scrape without the 503 series, then it is back: only its real growth counts.
  state.update(plugin::parse_prometheus_text("http_requests_total{code=\"200\"} 140\n"), t0 + 2s);
  v = state.update(
      plugin::parse_prometheus_text(
          "http_requests_total{code=\"200\"} 150\nhttp_requests_total{code=\"503\"} 9\n"),
      t0 + 3s);
  EXPECT_DOUBLE_EQ(v.requests_per_sec, 12);
  EXPECT_EQ(v.error_count, 9);
}

TEST(PromApiStateTest, ReadsStatusOrCodeLabelOrTheConfiguredOne) {
  const std::string text =
      "http_requests_total{code=\"500\"} 1\nhttp_requests_total{status=\"5xx\"} 2\n"
      "http_requests_total{http_status=\"502\"} "
      "4\nhttp_requests_total{status=\"200\",code=\"500\"} 8\n";
  PromApiState both(default_names());
  // Default: "status" when present, else "code"; the last series is a 200 by its status label.
  EXPECT_EQ(both.update(plugin::parse_prometheus_text(text), Clock::now()).error_count, 3);
  PromApiNames names;
  names.status_label = "http_status";
  PromApiState custom(names);
  EXPECT_EQ(custom.update(plugin::parse_prometheus_text(text), Clock::now()).error_count, 4);
}

TEST(PromApiStateTest, ToleratesCountersWithoutTotalSuffix) {
  PromApiState state(default_names());
  const ApiValues v = state.update(
      plugin::parse_prometheus_text("http_requests{status=\"200\"} 5\n"), Clock::now());
  EXPECT_EQ(v.requests_total, 5);
}

TEST(PromApiStateTest, MissingMetricsAreNaNWithANote) {
  PromApiState state(default_names());
  const Clock::time_point t0 = Clock::now();
  state.update(plugin::parse_prometheus_text("up 1\n"), t0);
  const ApiValues v = state.update(plugin::parse_prometheus_text("up 1\n"), t0 + 1s);
  EXPECT_TRUE(std::isnan(v.requests_total));
  EXPECT_TRUE(std::isnan(v.requests_per_sec));
  EXPECT_TRUE(std::isnan(v.response_time_p95));
  EXPECT_THAT(state.note(),
              HasSubstr("no samples named http_requests_total (check requests_metric)"));
  EXPECT_THAT(
      state.note(),
      HasSubstr("no histogram named http_request_duration_seconds (check duration_metric)"));
}

TEST(PromApiStateTest, DeclaredFamilyWithoutSamplesIsZero) {
  PromApiState state(default_names());
  const Clock::time_point t0 = Clock::now();
  const std::string text =
      "# TYPE http_requests_total counter\n# TYPE http_request_duration_seconds histogram\n";
  state.update(plugin::parse_prometheus_text(text), t0);
  const ApiValues v = state.update(plugin::parse_prometheus_text(text), t0 + 1s);
  EXPECT_EQ(v.requests_total, 0);
  EXPECT_EQ(v.requests_per_sec, 0);
  EXPECT_TRUE(std::isnan(v.error_rate)) << "no requests, no error rate";
  EXPECT_TRUE(std::isnan(v.response_time_p50)) << "no requests, no latency";
}

TEST(PromApiStateTest, ScalesAMillisecondHistogram) {
  PromApiNames names;
  names.duration_metric = "latency_ms";
  names.duration_to_ms = 1;
  PromApiState state(names);
  const Clock::time_point t0 = Clock::now();
  state.update(plugin::parse_prometheus_text(
                   "latency_ms_bucket{le=\"10\"} 0\nlatency_ms_bucket{le=\"+Inf\"} 0\n"),
               t0);
  const ApiValues v =
      state.update(plugin::parse_prometheus_text(
                       "latency_ms_bucket{le=\"10\"} 4\nlatency_ms_bucket{le=\"+Inf\"} 4\n"
                       "latency_ms_sum 20\nlatency_ms_count 4\n"),
                   t0 + 1s);
  EXPECT_DOUBLE_EQ(v.response_time_p50, 5);
  EXPECT_DOUBLE_EQ(v.response_time_avg, 5);
}

}  // namespace
}  // namespace resync

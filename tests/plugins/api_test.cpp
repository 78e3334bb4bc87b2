// SPDX-License-Identifier: MIT
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
#include "resync/error.hpp"
#include "plugin_host.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;
using plugin::api::AccessLogEntry;
using plugin::api::ApiValues;
using plugin::api::HistogramBucket;
using plugin::api::LogFollower;
using plugin::api::PromApiNames;
using plugin::api::PromApiState;
using test::collect_once;
using test::Nginx;
using test::Values;
using testing::HasSubstr;
using testing::StartsWith;
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
  EXPECT_EQ(v.error_rate, 0);
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

// ---- access log lines -----------------------------------------------------------------------

TEST(AccessLogLineTest, ParsesNginxCombinedWithRequestTime) {
  const auto e = plugin::api::parse_access_log_line(
      "127.0.0.1 - - [25/Nov/2026:03:41:48 +0000] \"GET /ok?x=1 HTTP/1.1\" 200 3 \"-\" "
      "\"resync-mon\" 0.003");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status, 200);
  EXPECT_DOUBLE_EQ(e->request_time, 0.003);
}

TEST(AccessLogLineTest, ParsesApacheEscapesAndOtherUnits) {
  // Apache escapes quotes as \" and logs %D (microseconds) when asked to.
  const auto e = plugin::api::parse_access_log_line(
      "10.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] \"GET /a\\\"b HTTP/1.0\" 503 12 \"http://x/\" "
      "\"Mozilla \\\"quoted\\\" agent\" 1234\r");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status, 503);
  EXPECT_EQ(e->request_time, 1234);
  // nginx writes a quote in the request as \x22.
  const auto n = plugin::api::parse_access_log_line(
      "::1 - - [25/Nov/2026:03:41:48 +0000] \"GET /\\x22 HTTP/1.1\" 404 0 \"-\" \"curl\" 0.000");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->status, 404);
  EXPECT_EQ(n->request_time, 0);
}

TEST(AccessLogLineTest, RequestTimeIsNaNWhenTheLineHasNone) {
  const auto dash =
      plugin::api::parse_access_log_line("h - - [t] \"GET / HTTP/1.1\" 200 5 \"-\" \"ua\" -");
  ASSERT_TRUE(dash.has_value());
  EXPECT_TRUE(std::isnan(dash->request_time));
  // Plain combined: the last field is the quoted user agent.
  const auto combined =
      plugin::api::parse_access_log_line("h - - [t] \"GET / HTTP/1.1\" 200 5 \"-\" \"ua 1.0\"");
  ASSERT_TRUE(combined.has_value());
  EXPECT_TRUE(std::isnan(combined->request_time));
  // Common format: the bytes field is not a request time.
  const auto common = plugin::api::parse_access_log_line("h - - [t] \"GET / HTTP/1.1\" 200 2326");
  ASSERT_TRUE(common.has_value());
  EXPECT_TRUE(std::isnan(common->request_time));
  const auto common_timed =
      plugin::api::parse_access_log_line("h - - [t] \"GET / HTTP/1.1\" 200 2326 0.5");
  ASSERT_TRUE(common_timed.has_value());
  EXPECT_EQ(common_timed->request_time, 0.5);
}

// Every line of a log written by the real nginx (tests/data/api/README.md says how).
TEST(AccessLogLineTest, ParsesEveryLineOfARealNginxLog) {
  std::istringstream log(test::read_file(test::test_data_dir() + "/api/nginx_access.log"));
  std::vector<int> statuses;
  std::vector<double> times;
  std::string line;
  while (std::getline(log, line)) {
    const auto e = plugin::api::parse_access_log_line(line);
    ASSERT_TRUE(e.has_value()) << line;
    statuses.push_back(e->status);
    times.push_back(e->request_time);
  }
  EXPECT_THAT(statuses,
              testing::ElementsAre(200, 200, 200, 503, 404, 200, 200, 504, 401, 404, 400, 404));
  EXPECT_THAT(times, testing::Each(testing::AnyOf(0.0, 0.201)));
  EXPECT_EQ(times[7], 0.201);
}

TEST(AccessLogLineTest, RejectsLinesInOtherFormats) {
  for (const char* line :
       {"", "just some text", "h - - [t] \"GET / HTTP/1.1 200 5 0.1",
        "h - - [t] \"GET / HTTP/1.1\" OK 5 0.1", "h - - [t] \"GET / HTTP/1.1\" 2000 5 0.1",
        "h - - [t] \"GET / HTTP/1.1\"", "{\"status\":200,\"time\":0.1}"}) {
    EXPECT_FALSE(plugin::api::parse_access_log_line(line).has_value()) << line;
  }
}

// ---- LogFollower ----------------------------------------------------------------------------

void append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << text;
}

std::vector<std::string> poll_lines(LogFollower& follower) {
  std::vector<std::string> lines;
  follower.poll([&](std::string_view line) { lines.emplace_back(line); }, Clock::now() + 1s);
  return lines;
}

TEST(LogFollowerTest, StartsAtTheEndOfAnExistingFile) {
  test::TempDir dir;
  const std::string log = dir.file("access.log");
  append(log, "old 1\nold 2\n");
  LogFollower follower(log);
  EXPECT_TRUE(poll_lines(follower).empty());
  append(log, "new 1\nnew 2\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("new 1", "new 2"));
  EXPECT_TRUE(poll_lines(follower).empty());
}

TEST(LogFollowerTest, SkipsTheTailOfALineItStartedInside) {
  test::TempDir dir;
  const std::string log = dir.file("access.log");
  append(log, "old 1\nold 2 starts");
  LogFollower follower(log);
  append(log, " and ends\nnew 1\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("new 1"));
}

TEST(LogFollowerTest, KeepsAPartialLineUntilItsNewlineArrives) {
  test::TempDir dir;
  const std::string log = dir.file("access.log");
  append(log, "");
  LogFollower follower(log);
  append(log, "first\r\nsecond ha");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("first"));
  append(log, "lf line");
  EXPECT_TRUE(poll_lines(follower).empty());
  append(log, "\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("second half line"));
}

TEST(LogFollowerTest, FollowsRenameRotationAndFinishesTheOldFile) {
  test::TempDir dir;
  const std::string log = dir.file("access.log");
  append(log, "");
  LogFollower follower(log);
  // The writer keeps its descriptor across the rename, as nginx does until it gets SIGUSR1.
  const int writer = ::open(log.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(writer, 0);
  auto write_old = [&](const std::string& s) {
    ASSERT_EQ(::write(writer, s.data(), s.size()), ssize_t(s.size()));
  };
  write_old("a\n");
  fs::rename(log, log + ".1");
  write_old("b\n");
  // Renamed, not yet reopened: the path is missing, which is no error.
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("a", "b"));
  write_old("c\npart");
  append(log, "d\n");  // the writer "reopened": a new file at the path
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("c", "d"));
  // Written to the old file before the writer switched: read once more at the next poll.
  write_old("ial\n");
  append(log, "e\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("partial", "e"));
  write_old("too late\n");
  append(log, "f\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("f"));
  EXPECT_EQ(follower.rotations(), 1u);
  ::close(writer);
}

TEST(LogFollowerTest, RestartsAtZeroAfterCopytruncate) {
  test::TempDir dir;
  const std::string log = dir.file("access.log");
  append(log, "");
  LogFollower follower(log);
  append(log, "line one is long\nline two is long\n");
  EXPECT_EQ(poll_lines(follower).size(), 2u);
  fs::copy_file(log, log + ".1");
  fs::resize_file(log, 0);
  append(log, "x\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("x"));
  EXPECT_EQ(follower.truncations(), 1u);
  EXPECT_EQ(follower.rotations(), 0u);
}

TEST(LogFollowerTest, WaitsForAMissingFileAndReadsItFromItsStart) {
  test::TempDir dir;
  const std::string log = dir.file("later.log");
  LogFollower follower(log);
  try {
    poll_lines(follower);
    ADD_FAILURE() << "expected an error for a missing file";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot open " + log + ": No such file or directory"));
  }
  append(log, "first\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("first"));
}

TEST(LogFollowerTest, DropsLinesLongerThanTheCap) {
  test::TempDir dir;
  const std::string log = dir.file("access.log");
  append(log, "");
  LogFollower follower(log);
  append(log, std::string(LogFollower::kMaxLineBytes + 10, 'x'));
  EXPECT_TRUE(poll_lines(follower).empty());
  append(log, std::string(LogFollower::kMaxLineBytes, 'y') + "\nshort\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("short"));
  EXPECT_EQ(follower.dropped_lines(), 1u);
}

TEST(LogFollowerTest, StopsAtTheDeadlineAndResumes) {
  test::TempDir dir;
  const std::string log = dir.file("access.log");
  append(log, "");
  LogFollower follower(log);
  std::string many;
  for (int i = 0; i < 50000; ++i) many += "line " + std::to_string(i) + "\n";
  append(log, many);
  size_t n = 0;
  follower.poll([&](std::string_view) { ++n; }, Clock::now() - 1s);  // already past: one chunk
  EXPECT_GT(n, 0u);
  EXPECT_LT(n, 50000u);
  follower.poll([&](std::string_view) { ++n; }, Clock::now() + 10s);
  EXPECT_EQ(n, 50000u);
}

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
  const Clock::time_point deadline = Clock::now() + 10s;
  while (count_lines(path) < n && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
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
  EXPECT_EQ(idle.at("error_rate"), 0);
  EXPECT_TRUE(std::isnan(idle.at("response_time_p95")));
  EXPECT_TRUE(std::isnan(idle.at("response_time_avg")));
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
  const Clock::time_point deadline = Clock::now() + 10s;
  while (!fs::exists(log) && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(fs::exists(log)) << "nginx did not reopen its log after SIGUSR1";
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

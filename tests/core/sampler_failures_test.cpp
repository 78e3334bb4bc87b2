// SPDX-License-Identifier: MIT
// Collector failures through the real loader, one tick at a time (Monitor::sample_now): a failing
// collector yields NaN beside healthy ones, a hanging one is given up at its deadline and not
// called again while it runs, and backoff doubles up to its cap and resets after a success.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <vector>

#include "resync/sampler.hpp"
#include "sampler_test_util.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::column;
using test::expect_no_overlap;
using test::fixture_monitor;
using test::health_of;
using test::latest;
using test::read_trace;
using test::wait_for_trace;
using test::wall_ms;

TEST(SamplerTest, FailingCollectorGivesNaNAndLeavesTheOthersAlone) {
  auto monitor = fixture_monitor("1s",
                                 "  - {plugin: fixture, name: good, samples: 2}\n"
                                 "  - {plugin: fixture, name: bad, fail: true, samples: 2}\n");
  monitor->sample_now(1000);
  const StoreSnapshot snap = monitor->store().snapshot();
  ASSERT_EQ(snap.rows, 1u);
  EXPECT_EQ(snap.timestamps_ms[0], 1000);
  EXPECT_EQ(snap.at(column(*monitor, "fixture_calls", "good"), 0), 1);
  EXPECT_EQ(snap.at(column(*monitor, "fixture_s1", "good"), 0), 101);
  EXPECT_EQ(snap.at(column(*monitor, "collector_up", "good"), 0), 1);
  EXPECT_TRUE(std::isnan(snap.at(column(*monitor, "fixture_calls", "bad"), 0)));
  EXPECT_TRUE(std::isnan(snap.at(column(*monitor, "fixture_s1", "bad"), 0)));
  EXPECT_EQ(snap.at(column(*monitor, "collector_up", "bad"), 0), 0);
  EXPECT_FALSE(std::isnan(snap.at(column(*monitor, "collector_duration_ms", "bad"), 0)));

  const auto health = monitor->sampler().health();
  const CollectorHealth& good = health_of(health, "good");
  const CollectorHealth& bad = health_of(health, "bad");
  EXPECT_TRUE(good.up);
  EXPECT_EQ(good.last_error, "");
  EXPECT_EQ(good.status, "ok");
  EXPECT_EQ(good.plugin, "fixture");
  EXPECT_FALSE(bad.up);
  EXPECT_EQ(bad.last_error, "fixture: failing as configured (call 1)");
  EXPECT_EQ(bad.status, "failing");
  EXPECT_EQ(bad.consecutive_failures, 1u);
  EXPECT_EQ(bad.failures, 1u);
  EXPECT_GT(bad.last_error_at_ms, 0);
}

TEST(SamplerTest, HangingCollectorTimesOutAndIsNotCalledAgainWhileRunning) {
  test::TempDir dir;
  const std::string trace = dir.file("hang.trace");
  auto monitor = fixture_monitor("200ms",
                                 "  - {plugin: fixture, name: hang, timeout: 60ms, sleep_ms: 400, "
                                 "sleep_first: 1, trace_file: \"" +
                                     trace +
                                     "\"}\n"
                                     "  - {plugin: fixture, name: good, timeout: 150ms}\n");
  const auto started = Clock::now();
  const int64_t started_wall = wall_ms();
  monitor->sample_now(10'000);
  const auto took = Clock::now() - started;
  // Given up at its deadline, not at the end of its 400 ms: the upper bound leaves a slow machine
  // 240 ms of room and still tells the two apart.
  EXPECT_GE(took, 55ms);
  EXPECT_LT(took, 300ms);
  EXPECT_EQ(latest(*monitor, "collector_up", "hang"), 0);
  EXPECT_TRUE(std::isnan(latest(*monitor, "fixture_calls", "hang")));
  EXPECT_GE(latest(*monitor, "collector_duration_ms", "hang"), 55);
  // The other collector ran at once, in parallel, and its values are in the same row.
  EXPECT_EQ(latest(*monitor, "collector_up", "good"), 1);
  EXPECT_EQ(latest(*monitor, "fixture_calls", "good"), 1);
  // Before the hang's 60 ms deadline had passed: beside it, not after it.
  EXPECT_LT(latest(*monitor, "fixture_wall_ms", "good") - double(started_wall), 55);
  {
    const auto health = monitor->sampler().health();
    EXPECT_EQ(health_of(health, "hang").last_error,
              "no result within its 60ms deadline; not called again until it returns");
    EXPECT_FALSE(health_of(health, "hang").up);
  }

  // Next tick (past its backoff) while the first call still sleeps: not called again.
  monitor->sample_now(20'000);
  EXPECT_EQ(latest(*monitor, "collector_up", "hang"), 0);
  EXPECT_TRUE(std::isnan(latest(*monitor, "collector_duration_ms", "hang")));
  EXPECT_EQ(latest(*monitor, "fixture_calls", "good"), 2);
  EXPECT_EQ(health_of(monitor->sampler().health(), "hang").runs, 1u);

  // Once it has returned it is called again, and its second call is quick.
  ASSERT_TRUE(wait_for_trace(trace, "end", 1));
  monitor->sample_now(30'000);
  EXPECT_EQ(latest(*monitor, "collector_up", "hang"), 1);
  EXPECT_EQ(latest(*monitor, "fixture_calls", "hang"), 2);
  const auto health = monitor->sampler().health();
  EXPECT_EQ(health_of(health, "hang").runs, 2u);
  EXPECT_EQ(health_of(health, "hang").consecutive_failures, 0u);
  const auto lines = read_trace(trace);
  ASSERT_EQ(lines.size(), 4u);
  expect_no_overlap(lines);
  EXPECT_GE(lines[1].at - lines[0].at, 395);  // the first call really hung for 400 ms
}

TEST(SamplerTest, SlowCollectorWithinItsDeadlineIsUp) {
  auto monitor =
      fixture_monitor("1s", "  - {plugin: fixture, name: slow, timeout: 300ms, sleep_ms: 30}\n");
  monitor->sample_now(1000);
  EXPECT_EQ(latest(*monitor, "collector_up", "slow"), 1);
  EXPECT_EQ(latest(*monitor, "fixture_calls", "slow"), 1);
  EXPECT_GE(latest(*monitor, "collector_duration_ms", "slow"), 29);
  EXPECT_GE(health_of(monitor->sampler().health(), "slow").duration_ms, 29);
}

TEST(SamplerTest, BackoffDoublesPerFailureAndResetsAfterSuccess) {
  auto monitor = fixture_monitor("100ms", "  - {plugin: fixture, name: flaky, fail_first: 3}\n");
  std::vector<int64_t> ran;
  std::vector<std::chrono::milliseconds> backoff;
  const size_t duration = column(*monitor, "collector_duration_ms", "flaky");
  for (int64_t k = 0; k <= 20; ++k) {
    monitor->sample_now(k * 100);
    if (!std::isnan(monitor->store().snapshot(1).at(duration, 0))) {
      ran.push_back(k);
      backoff.push_back(health_of(monitor->sampler().health(), "flaky").effective_interval);
    }
  }
  // Fails at ticks 0, 2 and 6, each time doubling its interval (200, 400, then the 800 ms cap
  // of 8 intervals); succeeds at 14 and from then on runs every tick.
  EXPECT_THAT(ran, testing::ElementsAre(0, 2, 6, 14, 15, 16, 17, 18, 19, 20));
  EXPECT_THAT(backoff, testing::ElementsAre(200ms, 400ms, 800ms, 100ms, 100ms, 100ms, 100ms, 100ms,
                                            100ms, 100ms));
  const auto h = health_of(monitor->sampler().health(), "flaky");
  EXPECT_EQ(h.failures, 3u);
  EXPECT_EQ(h.runs, 10u);
  EXPECT_EQ(h.consecutive_failures, 0u);
  EXPECT_TRUE(h.up);
  EXPECT_EQ(h.last_error, "fixture: failing as configured (call 3)");  // kept after recovery
  EXPECT_EQ(h.last_success_ms, 2000);
  EXPECT_EQ(monitor->sampler().runs_started(), 10u);
}

TEST(SamplerTest, BackoffIsCappedWhileFailing) {
  auto monitor = fixture_monitor("100ms", "  - {plugin: fixture, name: down, fail: true}\n");
  std::vector<int64_t> ran;
  const size_t duration = column(*monitor, "collector_duration_ms", "down");
  for (int64_t k = 0; k <= 40; ++k) {
    monitor->sample_now(k * 100);
    if (!std::isnan(monitor->store().snapshot(1).at(duration, 0))) ran.push_back(k);
  }
  EXPECT_THAT(ran, testing::ElementsAre(0, 2, 6, 14, 22, 30, 38));
  EXPECT_EQ(health_of(monitor->sampler().health(), "down").effective_interval, 800ms);
  EXPECT_EQ(health_of(monitor->sampler().health(), "down").consecutive_failures, 7u);
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
// The sampler's own thread through the real loader (see sampler_test_util.hpp): samples on a
// fixed grid without drift, a hanging collector that delays no row, missed ticks skipped rather
// than replayed, stop and start again. Failures one tick at a time: sampler_failures_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>
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
using test::read_trace;
using test::Recorder;
using test::TraceLine;
using test::wall_ms;

TEST(SamplerTest, RunsOnAFixedGridWithoutDrift) {
  auto monitor = fixture_monitor("50ms", "  - plugin: fixture\n");
  Recorder recorder(*monitor);
  const int64_t started = wall_ms();
  monitor->start();
  ASSERT_TRUE(recorder.wait_for(40, 10s));
  monitor->stop();

  const std::vector<int64_t> ts = recorder.timestamps();
  const std::vector<int64_t> delivered = recorder.delivered();
  // The first sample is the next grid point after start.
  EXPECT_GT(ts[0], started);
  EXPECT_LE(ts[0], started + 100);
  int64_t skipped = 0, regular = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    EXPECT_EQ(ts[i] % 50, 0) << "sample " << i << " is off the grid";
    if (i == 0) continue;
    const int64_t step = ts[i] - ts[i - 1];
    EXPECT_GT(step, 0);
    EXPECT_EQ(step % 50, 0) << "sample " << i;
    skipped += step / 50 - 1;
    regular += step == 50;
  }
  // t0 + k * interval: any gap is a tick the sampler says it skipped, never a shifted grid.
  EXPECT_EQ(uint64_t(skipped), monitor->sampler().ticks_skipped());
  EXPECT_GE(regular, 35);

  // Collections start on the grid and stay there: the lag does not grow with time. How large
  // it is depends on the machine's load (a benchmark's business), so only its growth is judged.
  const StoreSnapshot snap = monitor->store().snapshot();
  ASSERT_EQ(snap.rows, ts.size());
  const size_t wall = column(*monitor, "fixture_wall_ms", "fixture");
  std::vector<double> lag;
  for (size_t r = 0; r < snap.rows; ++r) {
    // On a saturated machine a 50 ms deadline is sometimes missed: that row has no value (and
    // the collector backs off), which is the isolation the other tests check. Judge the grid
    // on the rows that have one.
    if (std::isnan(snap.at(wall, r))) continue;
    lag.push_back(snap.at(wall, r) - double(snap.timestamps_ms[r]));
    EXPECT_GE(lag.back(), -2) << "row " << r << " collected before its grid time";
  }
  ASSERT_GE(lag.size(), 30u) << "too few collections answered within their deadline";
  // A loaded machine delays a few deliveries; a sampler that delivers late does it to most.
  std::vector<int64_t> delay(delivered.size());
  for (size_t r = 0; r < delivered.size(); ++r) delay[r] = delivered[r] - ts[r];
  std::nth_element(delay.begin(), delay.begin() + delay.size() / 2, delay.end());
  EXPECT_LT(delay[delay.size() / 2], 50) << "the median sample is delivered an interval late";
  double first = 0, last = 0;
  for (size_t i = 0; i < 10; ++i) {
    first += lag[i] / 10;
    last += lag[lag.size() - 1 - i] / 10;
  }
  EXPECT_LE(last, first + 10) << "collection lag grows: drift";
}

TEST(SamplerTest, HangingCollectorDoesNotDelayOthersOnTheGrid) {
  test::TempDir dir;
  const std::string trace = dir.file("hang.trace");
  auto monitor = fixture_monitor("100ms",
                                 "  - {plugin: fixture, name: hang, timeout: 40ms, sleep_ms: 250, "
                                 "trace_file: \"" +
                                     trace +
                                     "\"}\n"
                                     "  - {plugin: fixture, name: good, timeout: 90ms}\n");
  Recorder recorder(*monitor);
  monitor->start();
  ASSERT_TRUE(recorder.wait_for(12, 10s));
  monitor->stop();

  const auto ts = recorder.timestamps();
  const auto delivered = recorder.delivered();
  const StoreSnapshot snap = monitor->store().snapshot();
  ASSERT_EQ(snap.rows, ts.size());
  const size_t good_calls = column(*monitor, "fixture_calls", "good");
  const size_t good_up = column(*monitor, "collector_up", "good");
  const size_t hang_up = column(*monitor, "collector_up", "hang");
  for (size_t r = 0; r < snap.rows; ++r) {
    EXPECT_EQ(snap.at(good_up, r), 1) << "row " << r;
    EXPECT_FALSE(std::isnan(snap.at(good_calls, r))) << "row " << r;
    EXPECT_EQ(snap.at(hang_up, r), 0) << "row " << r;
    // Each row is complete once the hanging collector's 40 ms deadline has passed, not when its
    // 250 ms sleep ends; the rest of the bound is room for a slow machine.
    EXPECT_LT(delivered[r] - ts[r], 200) << "row " << r;
  }
  // The hanging collector ran at most once per 250 ms, never twice at once.
  const auto lines = read_trace(trace);
  ASSERT_GE(lines.size(), 2u);
  expect_no_overlap(std::vector<TraceLine>(lines.begin(), lines.end() - (lines.size() % 2)));
  const auto health = health_of(monitor->sampler().health(), "hang");
  EXPECT_LE(health.runs, ts.size() / 2);
  EXPECT_EQ(health.failures, health.runs);  // every run overran its deadline
}

TEST(SamplerTest, MissedTicksAreSkippedNotReplayed) {
  auto monitor = fixture_monitor("50ms", "  - plugin: fixture\n");
  Recorder recorder(*monitor);
  // Stall the sampler thread for three and a half intervals once, after the third sample.
  int seen = 0;
  int64_t stalled_at = 0;
  monitor->add_listener([&](int64_t t) {
    if (++seen == 3) {
      stalled_at = t;
      std::this_thread::sleep_for(175ms);
    }
  });
  monitor->start();
  ASSERT_TRUE(recorder.wait_for(8, 10s));
  monitor->stop();

  const auto ts = recorder.timestamps();
  ASSERT_NE(stalled_at, 0);
  size_t during_stall = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    EXPECT_EQ(ts[i] % 50, 0);
    if (i > 0) {
      EXPECT_GT(ts[i], ts[i - 1]) << "a timestamp repeats or goes back";
    }
    if (ts[i] > stalled_at && ts[i] < stalled_at + 175) ++during_stall;
  }
  // A replay would stamp the three ticks missed during the stall; skipping keeps at most the
  // one fresh sample taken when the sampler woke.
  EXPECT_LE(during_stall, 1u);
  EXPECT_GE(monitor->sampler().ticks_skipped(), 2u);
  const auto after = std::find(ts.begin(), ts.end(), stalled_at) + 1;
  ASSERT_NE(after, ts.end());
  EXPECT_GE(*after, stalled_at + 100);
}

TEST(SamplerTest, StopReturnsPromptlyAndStartAgainResumes) {
  auto monitor = fixture_monitor("50ms", "  - plugin: fixture\n");
  Recorder recorder(*monitor);
  monitor->start();
  ASSERT_TRUE(recorder.wait_for(2, 5s));
  const auto before_stop = Clock::now();
  monitor->stop();
  // Promptly: not held by a collection or a wait for the next tick; room for a slow machine.
  EXPECT_LT(Clock::now() - before_stop, 1s);
  const size_t stopped_with = recorder.timestamps().size();
  // Two more grid points pass with no sample. stop() joined the sampler thread, so a slow machine
  // cannot make this fail; only a thread left running can.
  std::this_thread::sleep_for(120ms);
  EXPECT_EQ(recorder.timestamps().size(), stopped_with);
  monitor->start();
  ASSERT_TRUE(recorder.wait_for(stopped_with + 2, 5s));
  monitor->stop();
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
// The sampler driven through the real loader: each collector is an instance of the test-only
// `fixture` plugin, dlopened from the test plugin folder, configured by YAML like a user would.
#include "resync/sampler.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "resync/config.hpp"
#include "resync/monitor.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A monitor of fixture collectors; `collectors` is the YAML list under `collectors:`.
std::unique_ptr<Monitor> fixture_monitor(const std::string& interval,
                                         const std::string& collectors) {
  const std::string yaml = std::string("plugin_dir: ") + RESYNC_FIXTURE_DIR +
                           "\ninterval: " + interval + "\nwindow: 1m\ncollectors:\n" + collectors;
  return std::make_unique<Monitor>(parse_config(yaml, ConfigFormat::kYaml, "sampler_test.yaml"));
}

// What the sampler thread reported: each sample's grid time and the wall time it was delivered.
class Recorder {
 public:
  explicit Recorder(Monitor& monitor) {
    monitor.add_listener([this](int64_t t) {
      std::lock_guard lock(mutex_);
      timestamps_.push_back(t);
      delivered_.push_back(wall_ms());
      cv_.notify_all();
    });
  }

  /// Waits until `n` samples arrived; false after `timeout`.
  bool wait_for(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return timestamps_.size() >= n; });
  }
  std::vector<int64_t> timestamps() const {
    std::lock_guard lock(mutex_);
    return timestamps_;
  }
  std::vector<int64_t> delivered() const {
    std::lock_guard lock(mutex_);
    return delivered_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<int64_t> timestamps_, delivered_;
};

size_t column(const Monitor& m, const std::string& metric, const std::string& instance) {
  auto c = m.layout().find(metric, instance);
  EXPECT_TRUE(c.has_value()) << metric << " of " << instance;
  return c.value_or(0);
}

double latest(const Monitor& m, const std::string& metric, const std::string& instance) {
  const StoreSnapshot snap = m.store().snapshot(1);
  EXPECT_EQ(snap.rows, 1u);
  return snap.at(column(m, metric, instance), 0);
}

const CollectorHealth& health_of(const std::vector<CollectorHealth>& all, const std::string& name) {
  for (const CollectorHealth& h : all) {
    if (h.name == name) return h;
  }
  throw std::runtime_error("no collector " + name);
}

// One (event, call, wall ms) per line of a fixture's trace_file.
struct TraceLine {
  std::string event;
  int call;
  int64_t at;
};

std::vector<TraceLine> read_trace(const std::string& path) {
  std::vector<TraceLine> lines;
  std::ifstream in(path);
  TraceLine l;
  while (in >> l.event >> l.call >> l.at) lines.push_back(l);
  return lines;
}

// Calls on one instance never overlap: "begin n" is always followed by "end n".
void expect_no_overlap(const std::vector<TraceLine>& trace) {
  for (size_t i = 0; i < trace.size(); ++i) {
    const bool begin = i % 2 == 0;
    EXPECT_EQ(trace[i].event, begin ? "begin" : "end") << "line " << i;
    EXPECT_EQ(trace[i].call, int(i / 2) + 1) << "line " << i;
  }
}

bool wait_for_trace(const std::string& path, const std::string& event, int call) {
  const auto seen = [&] {
    const auto lines = read_trace(path);
    return std::any_of(lines.begin(), lines.end(),
                       [&](const TraceLine& l) { return l.event == event && l.call == call; });
  };
  return test::eventually(seen, test::kPatience, 5ms);
}

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

// SPDX-License-Identifier: MIT
// The sampler's collector threads live only while they collect (issue 17: an idle `serve` holds
// 2 + cores threads), through the real loader and the test-only fixture plugin.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <iterator>
#include <memory>
#include <string>

#include "resync/config.hpp"
#include "resync/monitor.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

size_t thread_count() {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                                           std::filesystem::directory_iterator{}));
}

std::unique_ptr<Monitor> fixture_monitor(const std::string& collectors) {
  const std::string yaml = std::string("plugin_dir: ") + RESYNC_FIXTURE_DIR +
                           "\ninterval: 1s\nwindow: 1m\ncollectors:\n" + collectors;
  return std::make_unique<Monitor>(parse_config(yaml, ConfigFormat::kYaml, "threads_test.yaml"));
}

double latest(const Monitor& m, const std::string& metric, const std::string& instance) {
  const StoreSnapshot snap = m.store().snapshot(1);
  EXPECT_EQ(snap.rows, 1u);
  return snap.at(m.layout().find(metric, instance).value_or(0), 0);
}

TEST(SamplerTest, ACollectorsThreadEndsAfterItsRunAndTheNextRunStartsAnother) {
  // Counted before the monitor is built: it starts no thread per collector until a run.
  const size_t idle = thread_count();
  auto monitor =
      fixture_monitor("  - {plugin: fixture, name: a}\n  - {plugin: fixture, name: b}\n");
  EXPECT_EQ(thread_count(), idle);
  for (int run = 1; run <= 3; ++run) {
    monitor->sample_now(1000 * run);
    EXPECT_EQ(latest(*monitor, "collector_up", "a"), 1) << "run " << run;
    EXPECT_EQ(latest(*monitor, "collector_up", "b"), 1) << "run " << run;
    EXPECT_EQ(latest(*monitor, "fixture_calls", "a"), run);
    // Each run's threads end once they have answered and no next job waits for them.
    EXPECT_TRUE(test::eventually([&] { return thread_count() <= idle; }))
        << thread_count() << " threads, " << idle << " before run " << run;
  }
  for (const CollectorHealth& h : monitor->sampler().health()) {
    EXPECT_EQ(h.runs, 3u) << h.name;
    EXPECT_EQ(h.consecutive_failures, 0u) << h.name;
  }
}

}  // namespace
}  // namespace resync

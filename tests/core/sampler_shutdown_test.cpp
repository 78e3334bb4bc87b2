// SPDX-License-Identifier: MIT
// Shutdown with a collector that never returns, through the real loader: the test-only fixture
// plugin sleeps for an hour inside collect().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "resync/config.hpp"
#include "resync/log.hpp"
#include "resync/monitor.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Lines of the fixture's trace_file: "begin N <ms>" and "end N <ms>".
size_t trace_lines(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

TEST(SamplerShutdownTest, StopDoesNotWaitForAStuckCollectorAndDestructionAbandonsIt) {
  test::TempDir dir;
  const std::string trace = dir.file("stuck.trace");
  // Stuck for an hour, with a deadline as long as the interval: stop() must wait for neither.
  auto monitor = std::make_unique<Monitor>(parse_config(
      std::string("plugin_dir: ") + RESYNC_FIXTURE_DIR +
          "\ninterval: 1s\nwindow: 1m\ncollectors:\n"
          "  - {plugin: fixture, name: stuck, timeout: 1s, sleep_ms: 3600000, trace_file: \"" +
          trace + "\"}\n",
      ConfigFormat::kYaml, "shutdown_test.yaml"));
  std::vector<std::string> lines;
  std::mutex lines_mutex;
  const LogSink previous = set_log_sink([&](LogLevel, std::string_view line) {
    std::lock_guard lock(lines_mutex);
    lines.emplace_back(line);
  });
  monitor->start();
  test::eventually([&] { return trace_lines(trace) >= 1; });
  ASSERT_EQ(trace_lines(trace), 1u) << "collect() never began";
  const auto stopping = Clock::now();
  monitor->stop();
  // stop() does not wait for the stuck call (that would take the 1 s stop timeout); the rest of
  // the bound is room for a slow machine.
  EXPECT_LT(Clock::now() - stopping, 700ms);
  monitor.reset();
  const auto took = Clock::now() - stopping;
  set_log_sink(previous);
  EXPECT_GE(took, 900ms);  // SamplerOptions::stop_timeout, 1 s
  EXPECT_LT(took, 3s);  // abandoned after its 1 s, not the hour it sleeps; room for a slow machine
  std::lock_guard lock(lines_mutex);
  EXPECT_THAT(lines,
              testing::Contains(testing::HasSubstr(
                  "warning collector stuck still running 1s after stop; abandoning its thread")));
  // The abandoned call still runs, in a plugin that stays loaded.
  EXPECT_EQ(trace_lines(trace), 1u);
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
// The state file through a real Monitor: start-up checks, and a restart that restores the rows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "resync/error.hpp"
#include "resync/monitor.hpp"
#include "resync/state_file.hpp"
#include "resync/util/wall_clock.hpp"
#include "scripted_collector.hpp"
#include "state_test_util.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::count_entries;
using test::expect_same_rows;
using test::kNaN;
using test::LogCapture;
using test::same;
using test::ScriptedCollector;
using test::TempDir;
using testing::HasSubstr;

// The configuration a test Monitor runs: 100 ms grid, one minute window, the given state file.
Config monitor_config(const std::string& state_path) {
  return parse_config("interval: 100ms\nwindow: 1m\nstate_file: \"" + state_path + "\"\n",
                      ConfigFormat::kYaml, "state_file_test.yaml");
}

// One "api" instance emitting error_rate = the call number, and NaN for requests_total on even
// calls.
std::unique_ptr<Monitor> api_monitor(const std::string& state_path,
                                     std::vector<std::string> series = {"error_rate",
                                                                        "requests_total"}) {
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(std::make_unique<ScriptedCollector>([](SampleSink& sink, int call) {
    sink.emit("error_rate", call);
    sink.emit("requests_total", call % 2 ? 100.0 * call : kNaN);
  }));
  return std::make_unique<Monitor>(
      monitor_config(state_path),
      std::vector<InstanceInfo>{{"api", "api", {series.begin(), series.end()}}},
      std::move(collectors));
}

TEST(StateFileTest, UnwritableFolderFailsStartWithConfigError) {
  TempDir dir;
  const std::string path = dir.file("missing") + "/state";
  auto monitor = api_monitor(path);
  try {
    monitor->start();
    FAIL() << "started with state_file " << path;
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "state_file_test.yaml: state_file: cannot write " + path +
                                         ": No such file or directory");
    EXPECT_EQ(e.exit_code(), 3);
  }
  fs::create_directory(dir.file("folder"));
  auto on_folder = api_monitor(dir.file("folder"));
  try {
    on_folder->start();
    FAIL() << "started with a folder as state_file";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "state_file_test.yaml: state_file: " + dir.file("folder") + " is not a regular file");
  }
  EXPECT_EQ(count_entries(dir.path()), 1u) << "the check leaves no probe file behind";
}

TEST(StateFileTest, MonitorThatNeverStartsNeitherReadsNorWritesTheFile) {
  TempDir dir;
  const std::string path = dir.file("state");
  test::write_file(path, "not a state file");
  {
    auto monitor = api_monitor(path);
    const int64_t t = wall_clock_ms() / 100 * 100;
    monitor->sample_now(t);
    monitor->sample_now(t + 100);
    EXPECT_EQ(monitor->store().size(), 2u);
    monitor->stop();
  }
  EXPECT_EQ(test::read_file(path), "not a state file");
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

// Samples taken at past grid points before start(), then a few real ones, so both kinds are saved.
StoreSnapshot run_and_stop(Monitor& monitor, int past_samples) {
  const int64_t newest = wall_clock_ms() / 100 * 100 - 100;
  for (int k = past_samples - 1; k >= 0; --k) monitor.sample_now(newest - 100 * k);
  monitor.start();
  EXPECT_TRUE(test::eventually([&] { return monitor.store().size() >= size_t(past_samples) + 3; }));
  monitor.stop();
  return monitor.store().snapshot();
}

TEST(StateFileConcurrencyTest, RestartedMonitorRestoresIdenticalRows) {
  TempDir dir;
  const std::string path = dir.file("state");
  auto first = api_monitor(path);
  const StoreSnapshot saved = run_and_stop(*first, 10);
  ASSERT_GE(saved.rows, 13u);
  first.reset();
  EXPECT_FALSE(fs::exists(path + ".tmp"));

  auto second = api_monitor(path);
  LogCapture log;
  second->start();
  // The sampler may already have appended its first row; the restored ones come before it.
  const StoreSnapshot restored = second->store().snapshot();
  second->stop();
  ASSERT_GE(restored.rows, saved.rows);
  StoreSnapshot head = restored;
  head.rows = saved.rows;
  head.timestamps_ms.resize(saved.rows);
  head.values.clear();
  for (size_t s = 0; s < restored.series_count; ++s) {
    head.values.insert(head.values.end(), restored.column(s), restored.column(s) + saved.rows);
  }
  expect_same_rows(head, saved);
  size_t nan_count = 0;
  for (double v : saved.values) nan_count += std::isnan(v);
  EXPECT_GT(nan_count, 0u) << "the round trip must cover missing values";
  EXPECT_THAT(log.lines(),
              testing::Contains("info restored " + std::to_string(saved.rows) + " samples from " +
                                path + " (4 of 4 series found in it)"));
}

TEST(StateFileConcurrencyTest, ChangedCollectorsRestoreWhatStillMatches) {
  TempDir dir;
  const std::string path = dir.file("state");
  auto first = api_monitor(path, {"error_rate", "requests_total"});
  const StoreSnapshot saved = run_and_stop(*first, 5);
  const size_t old_error_rate = *first->layout().find("error_rate", "api");
  first.reset();

  auto second = api_monitor(path, {"requests_per_sec", "error_rate"});
  second->start();
  const StoreSnapshot restored = second->store().snapshot();
  second->stop();
  ASSERT_GE(restored.rows, saved.rows);
  const size_t error_rate = *second->layout().find("error_rate", "api");
  const size_t per_sec = *second->layout().find("requests_per_sec", "api");
  for (size_t r = 0; r < saved.rows; ++r) {
    EXPECT_EQ(restored.timestamps_ms[r], saved.timestamps_ms[r]);
    EXPECT_TRUE(same(restored.at(error_rate, r), saved.at(old_error_rate, r))) << r;
    EXPECT_TRUE(std::isnan(restored.at(per_sec, r))) << r;
  }
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
#include "resync/state_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>
#include <thread>

#include "resync/error.hpp"
#include "resync/log.hpp"
#include "resync/monitor.hpp"
#include "scripted_collector.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::ScriptedCollector;
using test::TempDir;
using testing::ElementsAre;
using testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr auto kInterval = std::chrono::milliseconds{1000};
constexpr auto kWindow = std::chrono::minutes{1};

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Identical including NaN, which == never is.
bool same(double a, double b) { return std::isnan(a) ? std::isnan(b) : a == b; }

size_t count_entries(const std::string& folder) {
  return size_t(std::distance(fs::directory_iterator(folder), fs::directory_iterator()));
}

SeriesLayout layout_of(const std::vector<std::pair<std::string, std::string>>& keys) {
  SeriesLayout layout;
  for (const auto& [metric, instance] : keys) layout.add({metric, instance, instance});
  return layout;
}

// Records log lines as "<level> <message>" (the timestamp cut off) while alive.
class LogCapture {
 public:
  LogCapture() {
    previous_ = set_log_sink([this](LogLevel, std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line.substr(line.find(' ') + 1));
    });
  }
  ~LogCapture() { set_log_sink(std::move(previous_)); }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
  LogSink previous_;
};

// A three-series store with four rows ending one interval before `now_ms`, NaN in two places.
struct Filled {
  SeriesLayout layout =
      layout_of({{"error_rate", "api"}, {"cache_hits", "redis"}, {"collector_up", "api"}});
  RingBuffer store{3, 60};
  explicit Filled(int64_t now_ms) {
    const int64_t last = now_ms / 1000 * 1000 - 1000;
    store.append(last - 3000, std::vector<double>{1.5, 10, 1});
    store.append(last - 2000, std::vector<double>{kNaN, 11, 1});
    store.append(last - 1000, std::vector<double>{2.5, kNaN, 0});
    store.append(last, std::vector<double>{-0.0, 1e300, 1});
  }
};

void expect_same_rows(const StoreSnapshot& a, const StoreSnapshot& b) {
  ASSERT_EQ(a.series_count, b.series_count);
  ASSERT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.timestamps_ms, b.timestamps_ms);
  for (size_t s = 0; s < a.series_count; ++s) {
    for (size_t r = 0; r < a.rows; ++r) {
      EXPECT_TRUE(same(a.at(s, r), b.at(s, r)))
          << "series " << s << " row " << r << ": " << a.at(s, r) << " vs " << b.at(s, r);
    }
  }
}

StateFile state_file(const std::string& path, std::chrono::milliseconds interval = kInterval) {
  return StateFile(path, "state_file_test.yaml", interval, kWindow);
}

std::string saved_bytes(const Filled& f) {
  return encode_state(kInterval, f.layout, f.store.snapshot());
}

TEST(StateFileTest, EncodesAndDecodesEveryRowIncludingNaN) {
  const Filled f(wall_ms());
  const SavedState back = decode_state(saved_bytes(f));
  EXPECT_EQ(back.interval, kInterval);
  std::vector<std::string> keys;
  for (const SeriesKey& k : back.keys) keys.push_back(k.metric + "/" + k.instance);
  EXPECT_THAT(keys, ElementsAre("error_rate/api", "cache_hits/redis", "collector_up/api"));
  expect_same_rows(back.rows, f.store.snapshot());
  EXPECT_TRUE(std::signbit(back.rows.at(0, 3))) << "-0.0 must stay -0.0";
}

TEST(StateFileTest, DecodeRejectsDamagedBytesWithTheReason) {
  const Filled f(wall_ms());
  const std::string good = saved_bytes(f);
  auto reason = [](const std::string& bytes) -> std::string {
    try {
      decode_state(bytes);
    } catch (const StateFormatError& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_EQ(reason(""), "truncated");
  EXPECT_EQ(reason("not a state file at all"), "bad magic");
  EXPECT_EQ(reason(good.substr(0, good.size() - 1)), "truncated");
  EXPECT_EQ(reason(good.substr(0, 40)), "truncated");
  EXPECT_EQ(reason(good + "x"), "1 unexpected bytes at the end");
  std::string version4 = good;
  version4[8] = 4;
  EXPECT_EQ(reason(version4), "unsupported version 4 (this build reads versions 1 to 3)");
  std::string flipped = good;
  flipped[good.size() - 24] ^= 0x01;
  EXPECT_EQ(reason(flipped), "checksum mismatch");
  EXPECT_EQ(reason(good), "accepted");
}

TEST(StateFileTest, SaveReplacesTheFileAndLeavesNoTmpBehind) {
  TempDir dir;
  const std::string path = dir.file("state");
  StateFile file = state_file(path);
  Filled f(wall_ms());
  ASSERT_TRUE(file.save(f.layout, f.store));
  f.store.append(f.store.snapshot(1).timestamps_ms[0] + 1000, std::vector<double>{7, 8, 9});
  ASSERT_TRUE(file.save(f.layout, f.store));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  EXPECT_EQ(count_entries(dir.path()), 2u) << "the state file and its journal";
  EXPECT_TRUE(fs::exists(path + ".journal"));
  const auto back = read_state_file(path);
  ASSERT_TRUE(back);
  expect_same_rows(back->rows, f.store.snapshot());
  EXPECT_EQ(back->rows.rows, 5u);
}

// Root ignores permissions, so the failure is a .tmp name taken by a directory.
TEST(StateFileTest, FailedWriteKeepsTheOldFile) {
  TempDir dir;
  const std::string path = dir.file("state");
  const Filled f(wall_ms());
  test::write_file(path, "previous contents");
  fs::create_directory(path + ".tmp");
  StateFile file = state_file(path);
  LogCapture log;
  EXPECT_FALSE(file.save(f.layout, f.store));
  EXPECT_EQ(test::read_file(path), "previous contents");
  EXPECT_TRUE(fs::is_directory(path + ".tmp"));
  EXPECT_THAT(log.lines(),
              ElementsAre("warning cannot save the state file (sampling goes on): cannot write " +
                          path + ".tmp: Is a directory"));
}

TEST(StateFileTest, FailedRenameRemovesItsTmp) {
  TempDir dir;
  const std::string path = dir.file("state");
  fs::create_directories(path + "/occupied");
  const Filled f(wall_ms());
  StateFile file = state_file(path);
  LogCapture log;
  EXPECT_FALSE(file.save(f.layout, f.store));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  ASSERT_EQ(log.lines().size(), 1u);
  EXPECT_THAT(log.lines()[0], HasSubstr("cannot rename " + path + ".tmp to " + path + ": "));
}

TEST(StateFileTest, RepeatedFailuresLogOncePerErrorAndOnceOnRecovery) {
  TempDir dir;
  const std::string path = dir.file("state");
  const Filled f(wall_ms());
  StateFile file = state_file(path);
  LogCapture log;
  fs::create_directory(path + ".tmp");
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(file.save(f.layout, f.store));
  fs::remove(path + ".tmp");
  fs::create_directories(path + "/occupied");  // now the rename fails instead: a new error text
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(file.save(f.layout, f.store));
  fs::remove_all(path);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(file.save(f.layout, f.store));
  const std::vector<std::string> lines = log.lines();
  ASSERT_EQ(lines.size(), 3u) << testing::PrintToString(lines);
  EXPECT_THAT(lines[0], HasSubstr("cannot write " + path + ".tmp: Is a directory"));
  EXPECT_THAT(lines[1], HasSubstr("cannot rename " + path + ".tmp to " + path));
  EXPECT_EQ(lines[2], "info state file " + path + " saved again");
}

TEST(StateFileTest, SaveIfDueSavesAtMostOncePerPeriod) {
  TempDir dir;
  const std::string path = dir.file("state");
  const Filled f(wall_ms());
  StateFile file = state_file(path);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(file.save_if_due(f.layout, f.store, t0));  // starts the clock
  EXPECT_FALSE(file.save_if_due(f.layout, f.store, t0 + 59s));
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(file.save_if_due(f.layout, f.store, t0 + 60s));
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(file.save_if_due(f.layout, f.store, t0 + 119s));
  EXPECT_TRUE(file.save_if_due(f.layout, f.store, t0 + 121s));
}

TEST(StateFileTest, RestoreMapsColumnsByMetricAndInstance) {
  TempDir dir;
  const std::string path = dir.file("state");
  const int64_t now = wall_ms();
  Filled f(now);
  StateFile file = state_file(path);
  ASSERT_TRUE(file.save(f.layout, f.store));

  // A changed configuration: cache_hits/redis kept, a new series, error_rate/api kept,
  // collector_up/api dropped.
  const SeriesLayout changed =
      layout_of({{"cache_hits", "redis"}, {"cache_hits", "redis2"}, {"error_rate", "api"}});
  RingBuffer store(changed.size(), 60);
  LogCapture log;
  EXPECT_EQ(file.restore(changed, store, now), 4u);
  const StoreSnapshot old = f.store.snapshot();
  const StoreSnapshot got = store.snapshot();
  ASSERT_EQ(got.rows, 4u);
  EXPECT_EQ(got.timestamps_ms, old.timestamps_ms);
  for (size_t r = 0; r < 4; ++r) {
    EXPECT_TRUE(same(got.at(0, r), old.at(1, r))) << r;
    EXPECT_TRUE(std::isnan(got.at(1, r))) << r;
    EXPECT_TRUE(same(got.at(2, r), old.at(0, r))) << r;
  }
  EXPECT_THAT(log.lines(),
              ElementsAre("info restored 4 samples from " + path + " (2 of 3 series found in it)"));
}

TEST(StateFileTest, RestoreKeepsOnlyRowsInsideTheWindowAndBeforeNow) {
  TempDir dir;
  const std::string path = dir.file("state");
  const int64_t now = 1'700'000'000'000;
  const SeriesLayout layout = layout_of({{"error_rate", "api"}});
  RingBuffer saved(1, 200);
  for (int64_t offset : {-70'000, -60'000, -59'000, -1000, 0, 1000}) {
    saved.append(now + offset, std::vector<double>{double(offset)});
  }
  test::write_file(path, encode_state(kInterval, layout, saved.snapshot()));
  RingBuffer store(1, 60);
  EXPECT_EQ(state_file(path).restore(layout, store, now), 2u);
  const StoreSnapshot got = store.snapshot();
  EXPECT_THAT(got.timestamps_ms, ElementsAre(now - 59'000, now - 1000));
  EXPECT_THAT(got.values, ElementsAre(-59'000, -1000));
}

TEST(StateFileTest, RestoreAppendsOnlyRowsNewerThanTheStoresNewest) {
  TempDir dir;
  const std::string path = dir.file("state");
  const int64_t now = 1'700'000'000'000;
  const SeriesLayout layout = layout_of({{"error_rate", "api"}});
  RingBuffer saved(1, 60);
  for (int64_t offset : {-20'000, -10'000, -5000})
    saved.append(now + offset, std::vector<double>{double(offset)});
  test::write_file(path, encode_state(kInterval, layout, saved.snapshot()));
  RingBuffer store(1, 60);
  store.append(now - 10'000, std::vector<double>{42});  // e.g. serve --bench-prefill sampled first
  EXPECT_EQ(state_file(path).restore(layout, store, now), 1u);
  EXPECT_THAT(store.snapshot().timestamps_ms, ElementsAre(now - 10'000, now - 5000));
}

TEST(StateFileTest, MissingFileRestoresNothingWithoutALogLine) {
  TempDir dir;
  const SeriesLayout layout = layout_of({{"error_rate", "api"}});
  RingBuffer store(1, 60);
  LogCapture log;
  EXPECT_EQ(state_file(dir.file("state")).restore(layout, store, wall_ms()), 0u);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_THAT(log.lines(), testing::IsEmpty());
}

TEST(StateFileTest, CorruptFileIsRenamedAndTheWindowStartsEmpty) {
  const Filled f(wall_ms());
  const std::string good = saved_bytes(f);
  std::string flipped = good;
  flipped[good.size() - 24] ^= 0x40;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"garbage, not a state file", "bad magic"},
      {good.substr(0, good.size() / 2), "truncated"},
      {"RSYNCMON" + std::string("\x07\0\0\0", 4),
       "unsupported version 7 (this build reads versions 1 to 3)"},
      {flipped, "checksum mismatch"},
  };
  for (const auto& [bytes, reason] : cases) {
    TempDir dir;
    const std::string path = dir.file("state");
    test::write_file(path, bytes);
    RingBuffer store(f.layout.size(), 60);
    LogCapture log;
    const int64_t now = wall_ms();
    EXPECT_EQ(state_file(path).restore(f.layout, store, now), 0u) << reason;
    EXPECT_EQ(store.size(), 0u);
    const std::string corrupt = path + ".corrupt-" + std::to_string(now / 1000);
    EXPECT_FALSE(fs::exists(path)) << reason;
    ASSERT_TRUE(fs::exists(corrupt)) << reason;
    EXPECT_EQ(test::read_file(corrupt), bytes) << "the bad file is kept as it was";
    EXPECT_THAT(log.lines(),
                ElementsAre("warning state file " + path + " is not a valid state file (" + reason +
                            "); renamed it to " + corrupt + " and starting with an empty window"));
  }
}

TEST(StateFileTest, OtherIntervalStartsEmptyAndSaysWhy) {
  TempDir dir;
  const std::string path = dir.file("state");
  const int64_t now = wall_ms();
  const Filled f(now);
  ASSERT_TRUE(state_file(path, 2s).save(f.layout, f.store));
  RingBuffer store(f.layout.size(), 60);
  LogCapture log;
  EXPECT_EQ(state_file(path, 1s).restore(f.layout, store, now), 0u);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_TRUE(fs::exists(path));
  EXPECT_THAT(
      log.lines(),
      ElementsAre("warning state file " + path +
                  " was saved at interval 2s, not the configured 1s: its samples are off the "
                  "grid, starting with an empty window"));
}

TEST(StateFileTest, UnreadableFileIsAConfigErrorNotAnEmptyStart) {
  TempDir dir;
  test::write_file(dir.file("plain"), "x");
  const std::string path = dir.file("plain") + "/state";
  const SeriesLayout layout = layout_of({{"error_rate", "api"}});
  RingBuffer store(1, 60);
  try {
    state_file(path).restore(layout, store, wall_ms());
    FAIL() << "restored from " << path;
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "state_file_test.yaml: state_file: cannot read " + path + ": Not a directory");
  }
}

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
    const int64_t t = wall_ms() / 100 * 100;
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
  const int64_t newest = wall_ms() / 100 * 100 - 100;
  for (int k = past_samples - 1; k >= 0; --k) monitor.sample_now(newest - 100 * k);
  monitor.start();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (monitor.store().size() < size_t(past_samples) + 3 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
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

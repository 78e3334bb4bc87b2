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
using test::layout_of;
using test::LogCapture;
using test::same;
using test::ScriptedCollector;
using test::TempDir;
using testing::ElementsAre;
using testing::HasSubstr;

constexpr auto kInterval = std::chrono::milliseconds{1000};
constexpr auto kWindow = std::chrono::minutes{1};

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

StateFile state_file(const std::string& path, std::chrono::milliseconds interval = kInterval) {
  return StateFile(path, "state_file_test.yaml", interval, kWindow);
}

std::string saved_bytes(const Filled& f) {
  return encode_state(kInterval, f.layout, f.store.snapshot());
}

TEST(StateFileTest, EncodesAndDecodesEveryRowIncludingNaN) {
  const Filled f(wall_clock_ms());
  const SavedState back = decode_state(saved_bytes(f));
  EXPECT_EQ(back.interval, kInterval);
  std::vector<std::string> keys;
  for (const SeriesKey& k : back.keys) keys.push_back(k.metric + "/" + k.instance);
  EXPECT_THAT(keys, ElementsAre("error_rate/api", "cache_hits/redis", "collector_up/api"));
  expect_same_rows(back.rows, f.store.snapshot());
  EXPECT_TRUE(std::signbit(back.rows.at(0, 3))) << "-0.0 must stay -0.0";
}

TEST(StateFileTest, DecodeRejectsDamagedBytesWithTheReason) {
  const Filled f(wall_clock_ms());
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
  Filled f(wall_clock_ms());
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
  const Filled f(wall_clock_ms());
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
  const Filled f(wall_clock_ms());
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
  const Filled f(wall_clock_ms());
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
  const Filled f(wall_clock_ms());
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

TEST(StateFileTest, SavesAtTheConfiguredPeriod) {
  TempDir dir;
  const Filled f(wall_clock_ms());
  StateFile file(dir.file("state"), "state_file_test.yaml", kInterval, kWindow, 5s);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(file.due(t0));  // starts the clock
  EXPECT_FALSE(file.due(t0 + 4900ms));
  EXPECT_TRUE(file.due(t0 + 5s));
  file.mark_dirty();
  EXPECT_FALSE(file.due(t0 + 5900ms));
  EXPECT_TRUE(file.due(t0 + 6s)) << "an alert transition is saved within a second";
  EXPECT_FALSE(file.due(t0 + 10900ms));
  EXPECT_TRUE(file.due(t0 + 11s));
}

TEST(StateFileTest, RestoreMapsColumnsByMetricAndInstance) {
  TempDir dir;
  const std::string path = dir.file("state");
  const int64_t now = wall_clock_ms();
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
  EXPECT_EQ(state_file(dir.file("state")).restore(layout, store, wall_clock_ms()), 0u);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_THAT(log.lines(), testing::IsEmpty());
}

TEST(StateFileTest, CorruptFileIsRenamedAndTheWindowStartsEmpty) {
  const Filled f(wall_clock_ms());
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
    const int64_t now = wall_clock_ms();
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
  const int64_t now = wall_clock_ms();
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
    state_file(path).restore(layout, store, wall_clock_ms());
    FAIL() << "restored from " << path;
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "state_file_test.yaml: state_file: cannot read " + path + ": Not a directory");
  }
}

}  // namespace
}  // namespace resync

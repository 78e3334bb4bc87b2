// SPDX-License-Identifier: MIT
// The state journal beside the state file: torn tails, merging, the lock and bad files set aside.
#include "resync/state_journal.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>

#include "resync/error.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::TempDir;
using testing::ElementsAre;
using testing::HasSubstr;

constexpr auto kInterval = std::chrono::milliseconds{1000};
const std::vector<std::pair<std::string, std::string>> kKeys = {{"cpu", "system"},
                                                                {"up", "system"}};

// A journal continuing a state file whose newest row is `after_ms`, with `rows` samples after it.
std::string write_journal(const std::string& path, int64_t after_ms, int rows) {
  StateJournal journal(path);
  journal.reset(kInterval, kKeys, after_ms);
  for (int r = 1; r <= rows; ++r) {
    const double values[] = {r * 1.5, 1};
    EXPECT_TRUE(journal.append(after_ms + r * 1000, values));
  }
  return test::read_file(path);
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(StateJournalTest, ReadsBackEveryRecord) {
  TempDir dir;
  const Journal j = decode_journal(write_journal(dir.file("j"), 5000, 3));
  EXPECT_EQ(j.interval, kInterval);
  EXPECT_EQ(j.after_ms, 5000);
  EXPECT_EQ(j.keys, kKeys);
  EXPECT_THAT(j.rows.timestamps_ms, ElementsAre(6000, 7000, 8000));
  EXPECT_EQ(j.rows.at(0, 2), 4.5);
  EXPECT_EQ(j.rows.at(1, 0), 1);
  EXPECT_EQ(j.ignored_bytes, 0u);
}

// A kill cuts the last write() anywhere, or leaves garbage past it: every cut keeps the whole
// records before it, and one damaged byte ends the valid part at that record.
TEST(StateJournalTest, TornOrDamagedTailIsIgnored) {
  TempDir dir;
  const std::string bytes = write_journal(dir.file("j"), 0, 3);
  const size_t record = 4 + 8 + 8 * kKeys.size();
  const size_t header = bytes.size() - 3 * record;
  for (size_t cut = 1; cut < record; ++cut) {
    const Journal j = decode_journal(std::string_view(bytes).substr(0, bytes.size() - cut));
    EXPECT_EQ(j.rows.rows, 2u) << cut;
    EXPECT_EQ(j.valid_bytes, header + 2 * record);
    EXPECT_EQ(j.ignored_bytes, record - cut);
  }
  for (size_t at = header + record; at < header + 2 * record; ++at) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x20);
    EXPECT_EQ(decode_journal(damaged).rows.rows, 1u) << at;
  }
  EXPECT_EQ(decode_journal(bytes + "garbage").rows.rows, 3u);
}

TEST(StateJournalTest, BadHeaderIsRefused) {
  TempDir dir;
  const std::string bytes = write_journal(dir.file("j"), 0, 1);
  EXPECT_THROW(decode_journal("RSYNCJNL"), JournalFormatError);
  EXPECT_THROW(decode_journal("RSYNCMON" + bytes.substr(8)), JournalFormatError);
  std::string damaged = bytes;
  damaged[13] ^= 1;  // inside the interval
  EXPECT_THROW(decode_journal(damaged), JournalFormatError);
}

TEST(StateJournalTest, MergeAddsNewerRowsMappedByKeyWithinCapacity) {
  TempDir dir;
  const Journal j = decode_journal(write_journal(dir.file("j"), 2000, 3));  // 3000, 4000, 5000
  SavedState state;
  state.interval = kInterval;
  state.capacity = 3;
  for (const char* metric : {"up", "memory"}) {
    SeriesKey k;
    k.metric = metric;
    k.instance = "system";
    state.keys.push_back(k);
  }
  state.rows.series_count = 2;
  state.rows.rows = 2;
  state.rows.timestamps_ms = {2000, 3000};  // the journal's first row is already here
  state.rows.values = {0, 0, 7, 7};
  EXPECT_EQ(merge_journal(state, j), 2u);
  EXPECT_THAT(state.rows.timestamps_ms, ElementsAre(3000, 4000, 5000));
  EXPECT_THAT(std::vector<double>(state.rows.column(0), state.rows.column(0) + 3),
              ElementsAre(0, 1, 1));
  EXPECT_EQ(state.rows.at(1, 0), 7);
  EXPECT_TRUE(std::isnan(state.rows.at(1, 2)));  // memory is not journaled

  SavedState other = state;
  other.interval = 2s;
  EXPECT_EQ(merge_journal(other, j), 0u);
}

// A server saves the state file, then starts a new journal: `history --state` sees both.
TEST(StateJournalTest, ReadersSeeTheStateFileAndTheJournal) {
  TempDir dir;
  const std::string path = dir.file("state");
  SeriesLayout layout;
  layout.add({"cpu", "system", "system"});
  layout.add({"up", "system", "system"});
  const int64_t now = wall_ms() / 1000 * 1000;
  RingBuffer store(2, 100);
  store.append(now - 10'000, {1.0, 1.0});
  StateFile file(path, "t.yaml", kInterval, 1min);
  file.claim();
  ASSERT_TRUE(file.save(layout, store));
  for (int64_t t = now - 9000; t < now; t += 1000) {
    const double row[] = {2, 1};
    file.record(t, row);
  }
  // Read while the server holds the lock.
  const auto state = read_state_with_journal(path);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->rows.rows, 10u);
  EXPECT_EQ(state->rows.timestamps_ms.back(), now - 1000);
  const auto bare = read_state_file(path);
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->rows.rows, 1u);

  // The serving side restores the same rows.
  file.release();
  StateFile next(path, "t.yaml", kInterval, 1min);
  next.claim();
  RingBuffer restored(2, 100);
  EXPECT_EQ(next.restore(layout, restored, now), 10u);
}

TEST(StateJournalTest, LoadCutsOffATornTail) {
  TempDir dir;
  const std::string path = dir.file("state");
  const int64_t now = wall_ms() / 1000 * 1000;
  {
    StateJournal journal(path + ".journal");
    journal.reset(kInterval, kKeys, INT64_MIN);
    const double row[] = {3, 1};
    ASSERT_TRUE(journal.append(now - 2000, row));
  }
  const std::string whole = test::read_file(path + ".journal");
  test::write_file(path + ".journal", whole + whole.substr(whole.size() - 10));
  StateFile file(path, "t.yaml", kInterval, 1min);
  const auto state = file.load(now);
  ASSERT_TRUE(state);  // from the journal alone
  EXPECT_EQ(state->rows.rows, 1u);
  EXPECT_EQ(test::read_file(path + ".journal"), whole);
}

TEST(StateJournalTest, SecondClaimFailsNamingTheHolder) {
  TempDir dir;
  StateFile first(dir.file("state"), "t.yaml", kInterval, 1min);
  first.claim();
  StateFile second(dir.file("state"), "t.yaml", kInterval, 1min);
  try {
    second.claim();
    FAIL() << "claimed twice";
  } catch (const StateLockedError& e) {
    EXPECT_EQ(e.exit_code(), kExitStateLocked);
    EXPECT_EQ(std::string(e.what()),
              dir.file("state") + " is in use by another resync-mon serve (pid " +
                  std::to_string(::getpid()) + "); give each server its own state_file");
  }
  first.release();
  EXPECT_NO_THROW(second.claim());
}

TEST(StateJournalTest, BadFilesSetAsideArePrunedToTheNewestThree) {
  TempDir dir;
  const std::string path = dir.file("state");
  for (int64_t s : {100, 200, 300, 400})
    test::write_file(path + ".corrupt-" + std::to_string(s), "x");
  test::write_file(path, "not a state file");
  test::write_file(path + ".journal", "not a journal either");
  StateFile file(path, "t.yaml", kInterval, 1min);
  EXPECT_FALSE(file.load(500'000));
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename());
  EXPECT_THAT(names,
              testing::UnorderedElementsAre("state.corrupt-500", "state.corrupt-400",
                                            "state.corrupt-300", "state.journal.corrupt-500"));
}

}  // namespace
}  // namespace resync

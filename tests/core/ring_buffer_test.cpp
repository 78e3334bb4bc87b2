// SPDX-License-Identifier: MIT
#include "resync/ring_buffer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

namespace resync {
namespace {

using testing::ElementsAre;

// Appends rows with timestamps `from`..`to` whose every column holds the timestamp, or the
// timestamp plus the column index, so that each value says where it came from.
void append_rows(RingBuffer& ring, int64_t from, int64_t to) {
  std::vector<double> row(ring.series_count());
  for (int64_t t = from; t <= to; ++t) {
    for (size_t s = 0; s < row.size(); ++s) row[s] = double(t) * 10 + double(s);
    ring.append(t, row);
  }
}

std::vector<double> column(const StoreSnapshot& snap, size_t series) {
  return {snap.column(series), snap.column(series) + snap.rows};
}

TEST(RingBufferTest, RejectsZeroCapacity) { EXPECT_THROW(RingBuffer(3, 0), std::invalid_argument); }

TEST(RingBufferTest, SnapshotIsOldestFirstBeforeWrapping) {
  RingBuffer ring(2, 5);
  append_rows(ring, 1, 3);
  const StoreSnapshot snap = ring.snapshot();
  EXPECT_EQ(snap.rows, 3u);
  EXPECT_EQ(snap.series_count, 2u);
  EXPECT_THAT(snap.timestamps_ms, ElementsAre(1, 2, 3));
  EXPECT_THAT(column(snap, 0), ElementsAre(10, 20, 30));
  EXPECT_THAT(column(snap, 1), ElementsAre(11, 21, 31));
  EXPECT_EQ(snap.at(1, 2), 31);
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.appended(), 3u);
}

TEST(RingBufferTest, OverwritesOldestWhenFull) {
  RingBuffer ring(2, 4);
  append_rows(ring, 1, 10);  // wraps twice and ends mid-buffer
  const StoreSnapshot snap = ring.snapshot();
  EXPECT_EQ(ring.size(), 4u);
  EXPECT_EQ(ring.appended(), 10u);
  EXPECT_EQ(snap.appended, 10u);
  EXPECT_THAT(snap.timestamps_ms, ElementsAre(7, 8, 9, 10));
  EXPECT_THAT(column(snap, 0), ElementsAre(70, 80, 90, 100));
  EXPECT_THAT(column(snap, 1), ElementsAre(71, 81, 91, 101));
}

TEST(RingBufferTest, SnapshotOfNewestRowsAcrossTheWrap) {
  RingBuffer ring(1, 5);
  append_rows(ring, 1, 7);  // slots hold 6 7 3 4 5: the newest three run across the end
  EXPECT_THAT(ring.snapshot(3).timestamps_ms, ElementsAre(5, 6, 7));
  EXPECT_THAT(column(ring.snapshot(3), 0), ElementsAre(50, 60, 70));
  EXPECT_THAT(ring.snapshot(1).timestamps_ms, ElementsAre(7));
  EXPECT_TRUE(ring.snapshot(0).empty());
  EXPECT_EQ(ring.snapshot(100).rows, 5u);
}

TEST(RingBufferTest, SnapshotOfEmptyBuffer) {
  const RingBuffer ring(3, 4);
  const StoreSnapshot snap = ring.snapshot();
  EXPECT_TRUE(snap.empty());
  EXPECT_EQ(snap.series_count, 3u);
  EXPECT_TRUE(snap.values.empty());
  EXPECT_TRUE(ring.snapshot_since(0).empty());
}

TEST(RingBufferTest, SnapshotSinceKeepsRowsAtOrAfterTheTime) {
  RingBuffer ring(2, 4);
  for (int64_t t : {1000, 2000, 3000, 4000, 5000, 6000})
    ring.append(t, std::vector<double>{double(t), -double(t)});
  EXPECT_THAT(ring.snapshot_since(4000).timestamps_ms, ElementsAre(4000, 5000, 6000));
  EXPECT_THAT(ring.snapshot_since(3500).timestamps_ms, ElementsAre(4000, 5000, 6000));
  EXPECT_THAT(column(ring.snapshot_since(3500), 1), ElementsAre(-4000, -5000, -6000));
  EXPECT_THAT(ring.snapshot_since(0).timestamps_ms, ElementsAre(3000, 4000, 5000, 6000));
  EXPECT_TRUE(ring.snapshot_since(6001).empty());
}

TEST(RingBufferTest, CapacityOneKeepsOnlyTheNewestRow) {
  RingBuffer ring(3, 1);
  append_rows(ring, 1, 3);
  const StoreSnapshot snap = ring.snapshot();
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_THAT(snap.timestamps_ms, ElementsAre(3));
  EXPECT_THAT(snap.values, ElementsAre(30, 31, 32));
  EXPECT_THAT(ring.snapshot_since(3).timestamps_ms, ElementsAre(3));
  EXPECT_TRUE(ring.snapshot_since(4).empty());
}

TEST(RingBufferTest, KeepsNaNAsMissing) {
  RingBuffer ring(2, 2);
  ring.append(1, std::vector<double>{std::nan(""), 5});
  const StoreSnapshot snap = ring.snapshot();
  EXPECT_TRUE(std::isnan(snap.at(0, 0)));
  EXPECT_EQ(snap.at(1, 0), 5);
}

TEST(RingBufferTest, ZeroSeriesStillCountsRows) {
  RingBuffer ring(0, 3);
  ring.append(1, nullptr);
  ring.append(2, nullptr);
  EXPECT_THAT(ring.snapshot().timestamps_ms, ElementsAre(1, 2));
}

// Every row the writer appends holds its timestamp in every column, so a reader that saw half
// of an append would find a row whose columns disagree, or timestamps out of sequence.
void check_whole_rows(const StoreSnapshot& snap, std::atomic<int>& failures) {
  for (size_t r = 0; r < snap.rows; ++r) {
    const int64_t t = snap.timestamps_ms[r];
    if (r > 0 && t != snap.timestamps_ms[r - 1] + 1) failures.fetch_add(1);
    for (size_t s = 0; s < snap.series_count; ++s) {
      if (snap.at(s, r) != double(t)) failures.fetch_add(1);
    }
  }
  if (snap.rows > 0 && snap.appended != static_cast<uint64_t>(snap.timestamps_ms.back()))
    failures.fetch_add(1);
}

TEST(RingBufferConcurrencyTest, ReadersNeverSeeTornRowsWhileWriterAppends) {
  constexpr size_t kSeries = 48;
  constexpr int64_t kRows = 20000;
  RingBuffer ring(kSeries, 240);
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<uint64_t> snapshots{0};

  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&, i] {
      while (!done.load()) {
        const StoreSnapshot snap =
            i == 0   ? ring.snapshot()
            : i == 1 ? ring.snapshot(17)
                     : ring.snapshot_since(std::max<int64_t>(0, int64_t(ring.appended()) - 50));
        check_whole_rows(snap, failures);
        snapshots.fetch_add(1);
      }
    });
  }
  std::vector<double> row(kSeries);
  const auto started = std::chrono::steady_clock::now();
  // At least kRows appends, and on until the readers have taken 30 snapshots between them, so
  // reading and writing really overlap however the threads are scheduled.
  int64_t t = 0;
  while (t < kRows || (snapshots.load() < 30 &&
                       std::chrono::steady_clock::now() - started < std::chrono::seconds{5})) {
    ++t;
    std::fill(row.begin(), row.end(), double(t));
    ring.append(t, row);
  }
  const auto writer_took = std::chrono::steady_clock::now() - started;
  done = true;
  for (auto& r : readers) r.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(snapshots.load(), 30u);
  // Readers that never pause must not starve the writer: the sampler appends on a deadline.
  // Each append waits at most for the copies in progress (microseconds each).
  EXPECT_LT(writer_took, std::chrono::seconds{3})
      << std::chrono::duration_cast<std::chrono::milliseconds>(writer_took).count() << " ms for "
      << kRows << " appends";
  const StoreSnapshot last = ring.snapshot();
  EXPECT_EQ(last.rows, 240u);
  EXPECT_EQ(last.timestamps_ms.back(), t);
  EXPECT_EQ(last.timestamps_ms.front(), t - 239);
}

// Meant for the ThreadSanitizer build: every reader entry point, from many threads at once,
// while the writer wraps a small buffer many times.
TEST(RingBufferConcurrencyTest, StressManyReadersSmallBuffer) {
  constexpr size_t kSeries = 6;
  RingBuffer ring(kSeries, 7);
  std::atomic<int> running{0};
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 6; ++i) {
    readers.emplace_back([&, i] {
      uint64_t last_appended = 0;
      running.fetch_add(1);
      while (!done.load()) {
        const StoreSnapshot snap =
            (i % 2) ? ring.snapshot(size_t(i)) : ring.snapshot_since(int64_t(ring.appended()) - 3);
        check_whole_rows(snap, failures);
        // appended() only grows, as seen by any one reader.
        const uint64_t appended = ring.appended();
        if (appended < last_appended) failures.fetch_add(1);
        last_appended = appended;
        if (ring.size() > ring.capacity()) failures.fetch_add(1);
      }
    });
  }
  std::vector<double> row(kSeries);
  const auto started = std::chrono::steady_clock::now();
  for (int64_t t = 1; t <= 50000; ++t) {
    std::fill(row.begin(), row.end(), double(t));
    ring.append(t, row);
    if (t == 25000) {
      // Half way, make sure every reader is running before the writer goes on.
      while (running.load() < 6 &&
             std::chrono::steady_clock::now() - started < std::chrono::seconds{5}) {
        std::this_thread::yield();
      }
    }
  }
  const auto writer_took = std::chrono::steady_clock::now() - started;
  done = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(running.load(), 6);
  EXPECT_LT(writer_took, std::chrono::seconds{3})
      << std::chrono::duration_cast<std::chrono::milliseconds>(writer_took).count()
      << " ms: readers starve the writer";
  EXPECT_EQ(ring.appended(), 50000u);
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace resync {

/// A consistent copy of the newest rows of a RingBuffer, oldest first, stored column by column
/// so that one series' history is contiguous.
struct StoreSnapshot {
  size_t series_count = 0;
  size_t rows = 0;
  std::vector<int64_t> timestamps_ms;  ///< rows entries, epoch milliseconds on the sample grid
  std::vector<double> values;          ///< series_count * rows, column-major; NaN = missing
  uint64_t appended = 0;               ///< RingBuffer::appended() when the copy was taken

  /// Value of `series` in `row` (0 = oldest).
  double at(size_t series, size_t row) const { return values[series * rows + row]; }
  /// The `rows` values of one series, oldest first.
  const double* column(size_t series) const { return values.data() + series * rows; }
  bool empty() const { return rows == 0; }
};

/// Fixed-capacity rolling history of samples: a timestamp and one double per series for each
/// of the newest `capacity` samples, one column of doubles per series, overwriting the oldest
/// row when full. Appending costs O(series) and never allocates.
///
/// Thread-safe: append() from one writer (the sampler), snapshot() and the other readers from
/// any number of threads; a reader always sees whole rows.
class RingBuffer {
 public:
  /// Throws std::invalid_argument when capacity is 0.
  RingBuffer(size_t series_count, size_t capacity);

  /// Appends one row; `values` must hold series_count() doubles (NaN = missing).
  void append(int64_t timestamp_ms, const double* values);
  void append(int64_t timestamp_ms, const std::vector<double>& values) {
    append(timestamp_ms, values.data());
  }

  /// Copies the newest `max_rows` rows (all of them by default), oldest first.
  StoreSnapshot snapshot(size_t max_rows = SIZE_MAX) const;
  /// Copies the rows with timestamp >= since_ms, oldest first.
  StoreSnapshot snapshot_since(int64_t since_ms) const;

  size_t series_count() const { return series_count_; }
  size_t capacity() const { return capacity_; }
  /// Rows currently held (at most capacity()).
  size_t size() const;
  /// Rows appended since construction; grows past capacity(), so it identifies a sample.
  uint64_t appended() const;

 private:
  StoreSnapshot copy_newest(size_t rows) const;  // caller holds mutex_

  const size_t series_count_;
  const size_t capacity_;
  // A plain mutex, not a shared_mutex: glibc's rwlock prefers readers, so a steady stream of
  // readers (HTTP requests) starved the sampler's append for seconds; a copy under the lock
  // takes microseconds.
  mutable std::mutex mutex_;
  std::vector<int64_t> timestamps_;  // capacity_
  std::vector<double> columns_;      // series_count_ * capacity_, column-major
  size_t head_ = 0;                  // slot of the next append
  size_t size_ = 0;
  uint64_t appended_ = 0;
};

}  // namespace resync

// SPDX-License-Identifier: MIT
#include "resync/ring_buffer.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>

namespace resync {

RingBuffer::RingBuffer(size_t series_count, size_t capacity)
    : series_count_(series_count), capacity_(capacity) {
  if (capacity == 0) throw std::invalid_argument("RingBuffer capacity must be at least 1");
  timestamps_.resize(capacity_);
  columns_.resize(series_count_ * capacity_);
}

void RingBuffer::append(int64_t timestamp_ms, const double* values) {
  std::lock_guard lock(mutex_);
  timestamps_[head_] = timestamp_ms;
  for (size_t s = 0; s < series_count_; ++s) columns_[s * capacity_ + head_] = values[s];
  head_ = head_ + 1 == capacity_ ? 0 : head_ + 1;
  size_ = std::min(size_ + 1, capacity_);
  ++appended_;
}

StoreSnapshot RingBuffer::snapshot(size_t max_rows) const {
  std::lock_guard lock(mutex_);
  return copy_newest(std::min(max_rows, size_));
}

StoreSnapshot RingBuffer::snapshot_since(int64_t since_ms) const {
  std::lock_guard lock(mutex_);
  // Timestamps grow monotonically from oldest to newest, so count back from the newest.
  size_t rows = 0;
  while (rows < size_) {
    const size_t slot = (head_ + capacity_ - 1 - rows) % capacity_;
    if (timestamps_[slot] < since_ms) break;
    ++rows;
  }
  return copy_newest(rows);
}

StoreSnapshot RingBuffer::copy_newest(size_t rows) const {
  StoreSnapshot out;
  out.series_count = series_count_;
  out.rows = rows;
  out.appended = appended_;
  out.timestamps_ms.resize(rows);
  out.values.resize(series_count_ * rows);
  if (rows == 0) return out;
  // The newest `rows` slots end just before head_ and may wrap: copy them as at most two runs.
  const size_t first = (head_ + capacity_ - rows) % capacity_;
  const size_t run1 = std::min(rows, capacity_ - first);
  const size_t run2 = rows - run1;
  std::copy_n(timestamps_.begin() + first, run1, out.timestamps_ms.begin());
  std::copy_n(timestamps_.begin(), run2, out.timestamps_ms.begin() + run1);
  for (size_t s = 0; s < series_count_; ++s) {
    const double* column = columns_.data() + s * capacity_;
    double* dest = out.values.data() + s * rows;
    std::copy_n(column + first, run1, dest);
    std::copy_n(column, run2, dest + run1);
  }
  return out;
}

size_t RingBuffer::size() const {
  std::lock_guard lock(mutex_);
  return size_;
}

uint64_t RingBuffer::appended() const {
  std::lock_guard lock(mutex_);
  return appended_;
}

}  // namespace resync

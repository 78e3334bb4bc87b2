// SPDX-License-Identifier: MIT
// What the state file tests share: NaN-aware row comparison, a layout from (metric, instance)
// pairs, a log recorder and a folder's entry count. Header-only.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "resync/log.hpp"
#include "resync/ring_buffer.hpp"
#include "resync/series.hpp"

namespace resync::test {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Identical including NaN, which == never is.
inline bool same(double a, double b) { return std::isnan(a) ? std::isnan(b) : a == b; }

inline size_t count_entries(const std::string& folder) {
  return size_t(std::distance(std::filesystem::directory_iterator(folder),
                              std::filesystem::directory_iterator()));
}

inline SeriesLayout layout_of(const std::vector<std::pair<std::string, std::string>>& keys) {
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

inline void expect_same_rows(const StoreSnapshot& a, const StoreSnapshot& b) {
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

}  // namespace resync::test

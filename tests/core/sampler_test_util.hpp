// SPDX-License-Identifier: MIT
// What the sampler tests share: a monitor of `fixture` plugin instances (dlopened from the test
// plugin folder, configured by YAML like a user would), a recorder of the samples the sampler
// thread delivers, the latest value of a series, and the fixture's trace of its calls.
// Header-only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "resync/config.hpp"
#include "resync/monitor.hpp"
#include "test_support.hpp"

namespace resync::test {

inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A monitor of fixture collectors; `collectors` is the YAML list under `collectors:`.
inline std::unique_ptr<Monitor> fixture_monitor(const std::string& interval,
                                                const std::string& collectors) {
  const std::string yaml = std::string("plugin_dir: ") + RESYNC_FIXTURE_DIR +
                           "\ninterval: " + interval + "\nwindow: 1m\ncollectors:\n" + collectors;
  return std::make_unique<Monitor>(parse_config(yaml, ConfigFormat::kYaml, "sampler_test.yaml"));
}

// What the sampler thread reported: each sample's grid time and the wall time it was delivered.
class Recorder {
 public:
  explicit Recorder(Monitor& monitor) {
    monitor.add_listener([this](int64_t t) {
      std::lock_guard lock(mutex_);
      timestamps_.push_back(t);
      delivered_.push_back(wall_ms());
      cv_.notify_all();
    });
  }

  /// Waits until `n` samples arrived; false after `timeout`.
  bool wait_for(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return timestamps_.size() >= n; });
  }
  std::vector<int64_t> timestamps() const {
    std::lock_guard lock(mutex_);
    return timestamps_;
  }
  std::vector<int64_t> delivered() const {
    std::lock_guard lock(mutex_);
    return delivered_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<int64_t> timestamps_, delivered_;
};

inline size_t column(const Monitor& m, const std::string& metric, const std::string& instance) {
  auto c = m.layout().find(metric, instance);
  EXPECT_TRUE(c.has_value()) << metric << " of " << instance;
  return c.value_or(0);
}

inline double latest(const Monitor& m, const std::string& metric, const std::string& instance) {
  const StoreSnapshot snap = m.store().snapshot(1);
  EXPECT_EQ(snap.rows, 1u);
  return snap.at(column(m, metric, instance), 0);
}

inline const CollectorHealth& health_of(const std::vector<CollectorHealth>& all,
                                        const std::string& name) {
  for (const CollectorHealth& h : all) {
    if (h.name == name) return h;
  }
  throw std::runtime_error("no collector " + name);
}

// One (event, call, wall ms) per line of a fixture's trace_file.
struct TraceLine {
  std::string event;
  int call;
  int64_t at;
};

inline std::vector<TraceLine> read_trace(const std::string& path) {
  std::vector<TraceLine> lines;
  std::ifstream in(path);
  TraceLine l;
  while (in >> l.event >> l.call >> l.at) lines.push_back(l);
  return lines;
}

// Calls on one instance never overlap: "begin n" is always followed by "end n".
inline void expect_no_overlap(const std::vector<TraceLine>& trace) {
  for (size_t i = 0; i < trace.size(); ++i) {
    const bool begin = i % 2 == 0;
    EXPECT_EQ(trace[i].event, begin ? "begin" : "end") << "line " << i;
    EXPECT_EQ(trace[i].call, int(i / 2) + 1) << "line " << i;
  }
}

inline bool wait_for_trace(const std::string& path, const std::string& event, int call) {
  const auto seen = [&] {
    const auto lines = read_trace(path);
    return std::any_of(lines.begin(), lines.end(),
                       [&](const TraceLine& l) { return l.event == event && l.call == call; });
  };
  return eventually(seen, kPatience, std::chrono::milliseconds{5});
}

}  // namespace resync::test

// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cmath>
#include <optional>

namespace resync {

/// Increase of a cumulative counter between two readings. A decrease means the target restarted
/// and its counter began again from zero, so the increase is the new reading itself (what
/// Prometheus' rate() assumes); the result is never negative. NaN in, NaN out.
inline double counter_increase(double previous, double current) {
  if (std::isnan(previous) || std::isnan(current)) return std::nan("");
  return current < previous ? current : current - previous;
}

/// Per-second rate of `increase` over `elapsed_seconds`; NaN when no time has elapsed.
inline double per_second(double increase, double elapsed_seconds) {
  if (!(elapsed_seconds > 0)) return std::nan("");
  return increase / elapsed_seconds;
}

/// Follows one cumulative counter across collections and yields the increase since the previous
/// reading. Not thread-safe: one instance per collector instance, which the sampler never runs
/// concurrently.
class CounterDelta {
 public:
  /// Returns the increase since the last update(), or nullopt on the first reading.
  std::optional<double> update(double value) {
    const std::optional<double> previous = last_;
    last_ = value;
    if (!previous || std::isnan(value)) return std::nullopt;
    return counter_increase(*previous, value);
  }
  void reset() { last_.reset(); }

 private:
  std::optional<double> last_;
};

/// A CounterDelta that also divides by the real time elapsed between readings, so a collection
/// that ran late does not inflate the rate.
class CounterRate {
 public:
  using Clock = std::chrono::steady_clock;

  /// Returns the per-second rate since the previous reading, or nullopt on the first reading.
  std::optional<double> update(double value, Clock::time_point now = Clock::now()) {
    const std::optional<Clock::time_point> previous_time = last_time_;
    last_time_ = now;
    const std::optional<double> increase = delta_.update(value);
    if (!increase || !previous_time) return std::nullopt;
    return per_second(*increase, std::chrono::duration<double>(now - *previous_time).count());
  }
  void reset() {
    delta_.reset();
    last_time_.reset();
  }

 private:
  CounterDelta delta_;
  std::optional<Clock::time_point> last_time_;
};

}  // namespace resync

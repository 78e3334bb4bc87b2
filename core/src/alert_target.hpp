// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "resync/alert_engine.hpp"

namespace resync {
namespace detail {

inline constexpr int64_t kNever = std::numeric_limits<int64_t>::min();

/// Condition levels: 0 none, 1 warning, 2 critical.
inline int level_of(Severity s) { return static_cast<int>(s) + 1; }
inline Severity severity_of(int level) {
  return level >= 2 ? Severity::kCritical : Severity::kWarning;
}

/// The level `value` is at under `rule`, given the level the rule was at before (`held`): the most
/// severe condition that holds or, with `clear` levels, a higher held level whose clear level the
/// value has not reached yet (hysteresis).
int condition_level(const AlertRule& rule, double value, int held);
/// The condition a level is named after in messages: the rule's first one of that severity.
const AlertCondition* condition_for(const AlertRule& rule, int level);
/// "1.234", "1e+06": four significant digits, as messages show values.
std::string format_number(double v);

/// Condition levels of the last 21 evaluations and Nagios' weighted percent of state changes
/// over them (base/flapping.c: 20 possible changes, weighted 0.75 for the oldest to 1.25 for the
/// newest, so recent changes count more). Evaluated on every sample of a flapping rule, so the
/// changes are kept as a bit mask (bit i: entry i differs from entry i + 1, oldest first) rather
/// than recounted.
class FlapHistory {
 public:
  static constexpr size_t kSize = 21;

  /// Records one evaluation; the first fills the whole history, as Nagios starts from the
  /// current state, so a new series does not look like it has changed.
  void record(uint8_t level) {
    if (!filled_) {
      levels_.fill(level);
      filled_ = true;
      head_ = 0;
      changes_ = 0;
      return;
    }
    const uint8_t newest = levels_[head_ == 0 ? kSize - 1 : head_ - 1];
    changes_ = (changes_ >> 1) | (level != newest ? 1u << (kSize - 2) : 0u);
    levels_[head_] = level;
    head_ = head_ + 1 == kSize ? 0 : static_cast<uint8_t>(head_ + 1);
  }
  /// 0 to 100.
  double percent() const {
    uint32_t m = changes_;
    double positions = 0;
    int count = 0;
    while (m) {
      positions += __builtin_ctz(m);
      ++count;
      m &= m - 1;
    }
    const double weighted = 0.75 * count + positions * (0.5 / double(kSize - 2));
    return weighted * 100.0 / double(kSize - 1);
  }
  uint8_t max_level() const {
    uint8_t m = 0;
    for (uint8_t l : levels_) m = l > m ? l : m;
    return m;
  }
  /// Oldest first; for the saved state.
  uint8_t at(size_t i) const { return levels_[(head_ + i) % kSize]; }
  bool empty() const { return !filled_; }
  /// Replaces the history with `oldest_first` (kSize entries), or empties it.
  void assign(const std::array<uint8_t, kSize>& oldest_first, bool filled) {
    levels_ = oldest_first;
    head_ = 0;
    filled_ = filled;
    changes_ = 0;
    for (size_t i = 0; i + 1 < kSize; ++i) changes_ |= levels_[i] != levels_[i + 1] ? 1u << i : 0u;
  }

 private:
  std::array<uint8_t, kSize> levels_{};
  uint8_t head_ = 0;  // the oldest entry, overwritten next
  bool filled_ = false;
  uint32_t changes_ = 0;
};

}  // namespace detail

/// One rule applied to one instance, and where its state machine stands.
struct AlertEngine::Target {
  size_t rule = 0;
  size_t column = 0;
  std::string instance;
  std::vector<size_t> guard_columns;
  std::string unit;  // " %", " ms" or "" in messages, from the series' description

  AlertState state = AlertState::kInactive;  // inactive, pending, firing or flapping
  Alert alert;                               // the current episode while state is not inactive
  int last_level = 0;   // the condition level of the last evaluation with a value
  int next_level = -1;  // while firing: a different level waiting to replace it; -1 none
  int64_t next_since = detail::kNever;
  int64_t clear_since = detail::kNever;    // while firing: when the condition stopped holding
  int64_t missing_since = detail::kNever;  // start of the current run of missing values
  detail::FlapHistory flaps;
  bool flapping = false;
};

}  // namespace resync

// SPDX-License-Identifier: MIT
#include "resync/util/wall_clock.hpp"

#include <chrono>
#include <ctime>

namespace resync {
namespace {

// Floor, not truncation: 1 ms before the epoch is 23:59:59 of the day before, not 00:00:00.
std::time_t to_time_t(int64_t epoch_ms) {
  return static_cast<std::time_t>(epoch_ms / 1000 - (epoch_ms % 1000 < 0 ? 1 : 0));
}

}  // namespace

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_iso8601_utc(int64_t epoch_ms) {
  const std::time_t t = to_time_t(epoch_ms);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  return std::string(buf, std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm));
}

std::string format_local_hms(int64_t epoch_ms) {
  const std::time_t t = to_time_t(epoch_ms);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  return std::string(buf, std::strftime(buf, sizeof buf, "%H:%M:%S", &tm));
}

}  // namespace resync

// SPDX-License-Identifier: MIT
#include "resync/util/wall_clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace resync {
namespace {

TEST(WallClockTest, MillisecondsSinceTheEpochByTheSystemClock) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t now = wall_clock_ms();
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

TEST(WallClockTest, FormatsIso8601InUtcDroppingMilliseconds) {
  EXPECT_EQ(format_iso8601_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_iso8601_utc(1764041065000), "2025-11-25T03:24:25Z");
  EXPECT_EQ(format_iso8601_utc(1764041065999), "2025-11-25T03:24:25Z");
  EXPECT_EQ(format_iso8601_utc(-1), "1969-12-31T23:59:59Z");
}

// Sets TZ for one test and puts the old value back, so other tests see the machine's zone.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", zone, 1);
    tzset();
  }
  ~ScopedTimeZone() {
    if (old_)
      setenv("TZ", old_->c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }

 private:
  std::optional<std::string> old_;
};

TEST(WallClockTest, FormatsTheTimeOfDayInTheLocalZone) {
  {
    ScopedTimeZone utc("UTC0");
    EXPECT_EQ(format_local_hms(1764041065999), "03:24:25");
  }
  // A POSIX zone string needs no tzdata: 5 h 30 min east of UTC.
  ScopedTimeZone india("IST-5:30");
  EXPECT_EQ(format_local_hms(1764041065000), "08:54:25");
  EXPECT_EQ(format_local_hms(0), "05:30:00");
}

}  // namespace
}  // namespace resync

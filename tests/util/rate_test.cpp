// SPDX-License-Identifier: MIT
#include "resync/util/rate.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace resync {
namespace {

using namespace std::chrono_literals;

TEST(RateTest, CounterIncreaseIsTheDifference) {
  EXPECT_EQ(counter_increase(100, 150), 50);
  EXPECT_EQ(counter_increase(150, 150), 0);
}

TEST(RateTest, CounterResetCountsTheNewReadingNeverNegative) {
  // The target restarted between readings: its counter began again from zero.
  EXPECT_EQ(counter_increase(1000, 30), 30);
  EXPECT_EQ(counter_increase(1000, 0), 0);
}

TEST(RateTest, NaNInNaNOut) {
  EXPECT_TRUE(std::isnan(counter_increase(std::nan(""), 5)));
  EXPECT_TRUE(std::isnan(counter_increase(5, std::nan(""))));
}

TEST(RateTest, PerSecondNeedsElapsedTime) {
  EXPECT_EQ(per_second(50, 5), 10);
  EXPECT_TRUE(std::isnan(per_second(50, 0)));
  EXPECT_TRUE(std::isnan(per_second(50, -1)));
  EXPECT_TRUE(std::isnan(per_second(50, std::nan(""))));
}

TEST(RateTest, CounterDeltaFollowsACounterAcrossAReset) {
  CounterDelta delta;
  EXPECT_EQ(delta.update(100), std::nullopt);  // first reading: no baseline
  EXPECT_EQ(delta.update(160), 60.0);
  EXPECT_EQ(delta.update(20), 20.0);  // reset
  EXPECT_EQ(delta.update(25), 5.0);
  delta.reset();
  EXPECT_EQ(delta.update(40), std::nullopt);
  EXPECT_EQ(delta.update(41), 1.0);
}

TEST(RateTest, CounterDeltaKeepsAMissingReadingMissing) {
  CounterDelta delta;
  delta.update(10);
  EXPECT_EQ(delta.update(std::nan("")), std::nullopt);
  // The reading after a gap has a missing baseline: NaN in, NaN out, never a made-up increase.
  const auto after_gap = delta.update(30);
  ASSERT_TRUE(after_gap.has_value());
  EXPECT_TRUE(std::isnan(*after_gap));
  EXPECT_EQ(delta.update(35), 5.0);
}

TEST(RateTest, CounterRateDividesByRealElapsedTime) {
  CounterRate rate;
  const auto t0 = CounterRate::Clock::time_point{} + 1h;
  EXPECT_EQ(rate.update(1000, t0), std::nullopt);
  EXPECT_DOUBLE_EQ(*rate.update(1500, t0 + 5s), 100.0);
  // A collection that ran late: the same increase over more time is a lower rate.
  EXPECT_DOUBLE_EQ(*rate.update(2000, t0 + 15s), 50.0);
  // Reset: the target restarted and counted 40 since.
  EXPECT_DOUBLE_EQ(*rate.update(40, t0 + 19s), 10.0);
}

TEST(RateTest, CounterRateWithNoElapsedTimeIsNaN) {
  CounterRate rate;
  const auto t0 = CounterRate::Clock::time_point{} + 1h;
  rate.update(10, t0);
  const auto r = rate.update(20, t0);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(std::isnan(*r));
}

TEST(RateTest, CounterRateResetForgetsTheBaseline) {
  CounterRate rate;
  const auto t0 = CounterRate::Clock::time_point{} + 1h;
  rate.update(10, t0);
  rate.reset();
  EXPECT_EQ(rate.update(20, t0 + 1s), std::nullopt);
  EXPECT_DOUBLE_EQ(*rate.update(30, t0 + 3s), 5.0);
}

}  // namespace
}  // namespace resync

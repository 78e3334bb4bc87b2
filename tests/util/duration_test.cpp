// SPDX-License-Identifier: MIT
#include "resync/util/duration.hpp"

#include <gtest/gtest.h>

namespace resync {
namespace {

using std::chrono::milliseconds;

TEST(DurationTest, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration("500ms"), milliseconds{500});
  EXPECT_EQ(parse_duration("5s"), milliseconds{5000});
  EXPECT_EQ(parse_duration("2m"), milliseconds{120000});
  EXPECT_EQ(parse_duration("2h"), milliseconds{7200000});
  EXPECT_EQ(parse_duration("1d"), milliseconds{86400000});
}

TEST(DurationTest, ParsesCompoundsAndDecimals) {
  EXPECT_EQ(parse_duration("1h30m"), milliseconds{5400000});
  EXPECT_EQ(parse_duration("1m30s500ms"), milliseconds{90500});
  EXPECT_EQ(parse_duration("1.5s"), milliseconds{1500});
  EXPECT_EQ(parse_duration("0.25s"), milliseconds{250});
  EXPECT_EQ(parse_duration(".5s"), milliseconds{500});
}

TEST(DurationTest, RejectsWhatIsNotADuration) {
  for (const char* bad :
       {"",     "5",  "often", "5 s", " 5s",   "5s ",   "-5s",   "+5s", "5x",   "s",
        "5sec", "5S", "0s",    "0ms", "0.4ms", "1..5s", "1.5.s", "5s5", "1e3s", "."}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << '"' << bad << '"';
  }
}

TEST(DurationTest, RejectsADotWithoutDigitsInsteadOfThrowing) {
  EXPECT_NO_THROW(parse_duration(".s"));
  EXPECT_EQ(parse_duration(".s"), std::nullopt);
  EXPECT_EQ(parse_duration("1h.m"), std::nullopt);
}

TEST(DurationTest, RejectsDurationsTooLongToRepresent) {
  EXPECT_EQ(parse_duration("99999999999999999999d"), std::nullopt);
  EXPECT_EQ(parse_duration("106751991168d"),
            std::nullopt);  // just past the int64 milliseconds limit
  EXPECT_EQ(parse_duration("36500d"), milliseconds{36500LL * 86400000});
  // Past double's range: std::stod threw out_of_range here, which escaped the config loader as
  // exit 1 instead of a ConfigError.
  EXPECT_NO_THROW(parse_duration(std::string(400, '9') + "s"));
  EXPECT_EQ(parse_duration(std::string(400, '9') + "s"), std::nullopt);
  EXPECT_EQ(parse_duration("0." + std::string(400, '0') + "1s"), std::nullopt);
}

TEST(DurationTest, FormatsInTheLargestExactUnit) {
  EXPECT_EQ(format_duration(milliseconds{500}), "500ms");
  EXPECT_EQ(format_duration(milliseconds{1500}), "1500ms");
  EXPECT_EQ(format_duration(milliseconds{5000}), "5s");
  EXPECT_EQ(format_duration(milliseconds{90000}), "90s");
  EXPECT_EQ(format_duration(milliseconds{120000}), "2m");
  EXPECT_EQ(format_duration(milliseconds{7200000}), "2h");
  EXPECT_EQ(format_duration(milliseconds{86400000}), "1d");
  EXPECT_EQ(format_duration(milliseconds{0}), "0ms");
}

TEST(DurationTest, FormatThenParseRoundTrips) {
  for (long long ms : {1LL, 999LL, 1000LL, 61000LL, 3600000LL, 5400000LL, 172800000LL}) {
    EXPECT_EQ(parse_duration(format_duration(milliseconds{ms})), milliseconds{ms}) << ms;
  }
}

}  // namespace
}  // namespace resync

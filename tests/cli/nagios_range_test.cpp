// SPDX-License-Identifier: MIT
// The threshold ranges of the Monitoring Plugins development guidelines, table by table.
#include "nagios_range.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace resync::cli {
namespace {

NagiosRange parse(const std::string& text) {
  std::string error;
  const auto r = parse_nagios_range(text, &error);
  EXPECT_TRUE(r) << text << ": " << error;
  return r.value_or(NagiosRange{});
}

std::string error_of(const std::string& text) {
  std::string error;
  EXPECT_FALSE(parse_nagios_range(text, &error)) << text;
  return error;
}

// The guidelines' examples: "10" alerts outside 0..10, "10:" below 10, "~:10" above 10,
// "10:20" outside 10..20, "@10:20" inside 10..20 (inclusive).
TEST(NagiosRangeTest, GuidelineExamples) {
  const NagiosRange ten = parse("10");
  for (double v : {0.0, 5.0, 10.0}) EXPECT_FALSE(ten.alerts(v)) << v;
  for (double v : {-0.1, 10.1, 1e9}) EXPECT_TRUE(ten.alerts(v)) << v;

  const NagiosRange at_least = parse("10:");
  for (double v : {10.0, 11.0, 1e300}) EXPECT_FALSE(at_least.alerts(v)) << v;
  for (double v : {9.99, 0.0, -5.0}) EXPECT_TRUE(at_least.alerts(v)) << v;

  const NagiosRange at_most = parse("~:10");
  for (double v : {-1e300, -5.0, 10.0}) EXPECT_FALSE(at_most.alerts(v)) << v;
  EXPECT_TRUE(at_most.alerts(10.5));

  const NagiosRange between = parse("10:20");
  for (double v : {10.0, 15.0, 20.0}) EXPECT_FALSE(between.alerts(v)) << v;
  for (double v : {9.0, 21.0}) EXPECT_TRUE(between.alerts(v)) << v;

  const NagiosRange inside = parse("@10:20");
  for (double v : {10.0, 15.0, 20.0}) EXPECT_TRUE(inside.alerts(v)) << v;
  for (double v : {9.99, 20.01}) EXPECT_FALSE(inside.alerts(v)) << v;
  EXPECT_EQ(inside.text, "@10:20");
}

TEST(NagiosRangeTest, NegativeDecimalAndInfiniteBounds) {
  const NagiosRange r = parse("-1.5:2e1");
  EXPECT_EQ(r.start, -1.5);
  EXPECT_EQ(r.end, 20);
  const NagiosRange open = parse("~:");
  EXPECT_TRUE(std::isinf(open.start) && open.start < 0);
  EXPECT_TRUE(std::isinf(open.end) && open.end > 0);
  EXPECT_FALSE(open.alerts(-1e308));
  EXPECT_EQ(parse("@5").end, 5);
  EXPECT_TRUE(parse("@5").alerts(0));
  EXPECT_EQ(parse("+3").end, 3);
}

TEST(NagiosRangeTest, MissingValueNeverAlerts) {
  EXPECT_FALSE(parse("10").alerts(std::nan("")));
  EXPECT_FALSE(parse("@0:100").alerts(std::nan("")));
}

TEST(NagiosRangeTest, RefusesWhatIsNotARange) {
  EXPECT_EQ(error_of("abc"), "expected a range like 10, 10:, ~:10, 10:20 or @10:20, got \"abc\"");
  EXPECT_EQ(
      error_of("20:10"),
      "expected a range like 10, 10:, ~:10, 10:20 or @10:20, got \"20:10\" (start is above end)");
  EXPECT_THAT(error_of("-5"), testing::HasSubstr("(start is above end)")) << "\"-5\" means 0..-5";
  for (const char* bad :
       {"", "@", "10:20:30", "1,5", "10 ", " 10", "~", "inf", "nan", "1e999", "0x10", "10:x"}) {
    error_of(bad);
  }
}

}  // namespace
}  // namespace resync::cli

// SPDX-License-Identifier: MIT
// The report charts' downsampler: what it keeps is what a reader of the chart will believe.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "html_report_chart.hpp"

namespace resync::views::detail {
namespace {

constexpr int64_t kStep = 5000;

struct Series {
  std::vector<int64_t> t;
  std::vector<double> v;
  TimeAxis axis(int width) const { return {t.front(), t.back(), width}; }
};

Series flat(size_t n, double value) {
  Series s;
  for (size_t i = 0; i < n; ++i) {
    s.t.push_back(1'700'000'000'000 + int64_t(i) * kStep);
    s.v.push_back(value);
  }
  return s;
}

std::vector<ChartSegment> run(const Series& s, int width, int64_t max_step = kStep * 3 / 2) {
  return downsample(s.t.data(), s.v.data(), s.t.size(), s.axis(width), max_step);
}

size_t points(const std::vector<ChartSegment>& segments) {
  size_t n = 0;
  for (const ChartSegment& seg : segments) n += seg.size();
  return n;
}

TEST(DownsampleTest, OneSampleSpikeSurvives) {
  Series s = flat(100'000, 1.0);
  s.v[43'210] = 500;
  const auto segments = run(s, 300);
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_LE(points(segments), 600u);
  double highest = 0, at = 0;
  for (const ChartPoint& p : segments[0]) {
    if (p.value > highest) highest = p.value, at = p.x;
  }
  EXPECT_EQ(highest, 500);
  EXPECT_NEAR(at, 300.0 * 43'210 / 99'999, 1.0);
  // A dip survives the same way.
  s.v[43'210] = 1;
  s.v[77'777] = -3;
  double lowest = 1;
  const auto again = run(s, 300);
  for (const ChartPoint& p : again[0]) lowest = std::min(lowest, p.value);
  EXPECT_EQ(lowest, -3);
}

TEST(DownsampleTest, GapIsDrawnAsAGapNeverAsZero) {
  Series s = flat(10'000, 7.0);
  for (size_t i = 3000; i < 4000; ++i) s.v[i] = std::nan("");
  s.v[6000] = INFINITY;  // as unusable as NaN
  const auto segments = run(s, 200);
  ASSERT_EQ(segments.size(), 3u);
  for (const ChartSegment& seg : segments) {
    for (const ChartPoint& p : seg) EXPECT_EQ(p.value, 7.0);
  }
  // The first segment ends before the gap and the second starts after it.
  EXPECT_LE(segments[0].back().x, 200.0 * 2999 / 9999 + 1e-9);
  EXPECT_GE(segments[1].front().x, 200.0 * 4000 / 9999 - 1e-9);
}

TEST(DownsampleTest, MissingRowsInTimeAreAGap) {
  Series s = flat(20, 1.0);
  for (size_t i = 10; i < 20; ++i) s.t[i] += 60'000;  // the sampler was down for a minute
  EXPECT_EQ(run(s, 500).size(), 2u);
  EXPECT_EQ(run(s, 500, 0).size(), 1u);  // unless steps are not checked
}

TEST(DownsampleTest, FewPointsPassThroughUnchanged) {
  Series s = flat(5, 0);
  s.v = {3, 1, 4, 1, 5};
  const auto segments = run(s, 500);
  ASSERT_EQ(segments.size(), 1u);
  ASSERT_EQ(segments[0].size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(segments[0][i].value, s.v[i]);
    EXPECT_DOUBLE_EQ(segments[0][i].x, 500.0 * double(i) / 4);
  }
}

TEST(DownsampleTest, AtMostOnePointPairPerPixelColumnInTimeOrder) {
  Series s = flat(50'000, 0);
  for (size_t i = 0; i < s.v.size(); ++i) s.v[i] = std::sin(double(i) / 7) * 100 + double(i % 13);
  const int width = 370;
  const auto segments = run(s, width);
  ASSERT_EQ(segments.size(), 1u);
  std::map<int, int> per_column;
  double previous_x = -1;
  for (const ChartPoint& p : segments[0]) {
    ++per_column[static_cast<int>(std::min(std::floor(p.x), double(width - 1)))];
    EXPECT_GE(p.x, previous_x);
    previous_x = p.x;
  }
  EXPECT_EQ(per_column.size(), size_t(width));
  for (const auto& [column, n] : per_column) EXPECT_LE(n, 2) << "column " << column;
}

TEST(DownsampleTest, LoneSampleBetweenGapsIsKept) {
  Series s = flat(9, std::nan(""));
  s.v[4] = 42;
  const auto segments = run(s, 100);
  ASSERT_EQ(segments.size(), 1u);
  ASSERT_EQ(segments[0].size(), 1u);
  EXPECT_EQ(segments[0][0].value, 42);
  EXPECT_TRUE(run(flat(9, std::nan("")), 100).empty());
  EXPECT_TRUE(downsample(nullptr, nullptr, 0, {0, 1, 100}, kStep).empty());
}

}  // namespace
}  // namespace resync::views::detail

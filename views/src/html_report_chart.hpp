// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "resync/series.hpp"

/// The report's inline SVG charts, drawn in C++ so the file needs no script.
namespace resync::views::detail {

/// A time axis `width_px` pixel columns wide from start_ms (left edge) to end_ms (right edge).
struct TimeAxis {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int width_px = 1;
  /// x of `t_ms` in pixels from the left edge (not clamped).
  double x_of(int64_t t_ms) const;
};

/// One point of a chart line: x in pixels from the axis' left edge, and the value.
struct ChartPoint {
  double x;
  double value;
};
/// Points joined by a line; a chart line is drawn as one or more segments.
using ChartSegment = std::vector<ChartPoint>;

/// Reduces a series to what `axis.width_px` columns can show without lying: every pixel column
/// keeps the minimum and maximum of its samples, in the order they occurred (one point when it
/// holds one sample or one value), so a one-sample spike survives any reduction and a series
/// with fewer samples than columns passes through unchanged. A missing value (NaN or infinite)
/// or a step longer than `max_step_ms` between two samples ends the segment, so a gap is drawn
/// as a gap, never as a line to zero or across it. `times_ms` ascend; both arrays hold n values.
std::vector<ChartSegment> downsample(const int64_t* times_ms, const double* values, size_t n,
                                     const TimeAxis& axis, int64_t max_step_ms);

/// One line of a chart, its values on the chart's rows.
struct ChartLine {
  std::string label;
  int color = 1;  ///< 1..6: the dashboard's --series-N colours
  std::vector<double> values;
};

/// A dashed horizontal line at an alert rule's threshold.
struct ChartThreshold {
  double value = 0;
  bool critical = false;
};

/// Everything one chart shows.
struct ChartInput {
  std::string title;
  Unit unit = Unit::kCount;
  bool percent = false;  ///< a 0..100 scale, as the dashboard keeps for percentages
  const int64_t* times_ms = nullptr;
  size_t rows = 0;
  int64_t start_ms = 0, end_ms = 0;  ///< the time axis
  int64_t max_step_ms = 0;           ///< longer steps between samples are gaps
  std::vector<ChartLine> lines;
  std::vector<ChartThreshold> thresholds;  ///< drawn where the value axis reaches them
  std::string id{};                        ///< the figure's id, "" for none
};

/// Appends a <figure> with the caption, an SVG of the lines with value and time axes, grid and
/// unit, the thresholds as dashed lines, and a legend with each line's last and highest value.
void write_chart(std::string& out, const ChartInput& chart);

}  // namespace resync::views::detail

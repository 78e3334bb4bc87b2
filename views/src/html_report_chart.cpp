// SPDX-License-Identifier: MIT
#include "html_report_chart.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "html_report_parts.hpp"

namespace resync::views::detail {

double TimeAxis::x_of(int64_t t_ms) const {
  const double span = static_cast<double>(std::max<int64_t>(1, end_ms - start_ms));
  return static_cast<double>(t_ms - start_ms) / span * width_px;
}

namespace {

// The samples of one pixel column seen so far.
struct Bucket {
  int column = -1;
  size_t count = 0;
  double lo = 0, hi = 0, lo_x = 0, hi_x = 0, last_x = 0;
  size_t lo_at = 0, hi_at = 0;

  void add(size_t i, double x, double v) {
    if (count == 0 || v < lo) lo = v, lo_x = x, lo_at = i;
    if (count == 0 || v > hi) hi = v, hi_x = x, hi_at = i;
    last_x = x;
    ++count;
  }
  void flush_into(ChartSegment& segment) {
    if (count == 0) return;
    if (lo_at == hi_at) {
      // One sample, or one value held across the column: its first and last x keep a flat run
      // flat instead of turning it into a dot.
      segment.push_back({lo_x, lo});
      if (count > 1) segment.push_back({last_x, lo});
    } else if (lo_at < hi_at) {
      segment.push_back({lo_x, lo});
      segment.push_back({hi_x, hi});
    } else {
      segment.push_back({hi_x, hi});
      segment.push_back({lo_x, lo});
    }
    count = 0;
  }
};

}  // namespace

std::vector<ChartSegment> downsample(const int64_t* times_ms, const double* values, size_t n,
                                     const TimeAxis& axis, int64_t max_step_ms) {
  std::vector<ChartSegment> segments;
  ChartSegment segment;
  Bucket bucket;
  bool have_previous = false;
  int64_t previous_ms = 0;
  const auto end_segment = [&] {
    bucket.flush_into(segment);
    if (!segment.empty()) segments.push_back(std::move(segment));
    segment.clear();
  };
  for (size_t i = 0; i < n; ++i) {
    const double v = values[i];
    if (!std::isfinite(v)) {
      end_segment();
      have_previous = false;
      continue;
    }
    if (have_previous && max_step_ms > 0 && times_ms[i] - previous_ms > max_step_ms) end_segment();
    const double x = axis.x_of(times_ms[i]);
    const int column =
        static_cast<int>(std::clamp(std::floor(x), 0.0, double(std::max(0, axis.width_px - 1))));
    if (column != bucket.column) {
      bucket.flush_into(segment);
      bucket.column = column;
    }
    bucket.add(i, x, v);
    have_previous = true;
    previous_ms = times_ms[i];
  }
  end_segment();
  return segments;
}

namespace {

// The SVG's own coordinate space, about the CSS pixels a chart gets on a 1280-pixel screen (three
// a row) or on A4 (two a row), so its columns are roughly the screen's; CSS scales it to fit.
constexpr int kWidth = 420, kHeight = 150;
constexpr int kLeft = 40, kRight = 6, kTop = 8, kBottom = 18;
constexpr int kPlotWidth = kWidth - kLeft - kRight, kPlotHeight = kHeight - kTop - kBottom;

// Coordinates at a tenth of a pixel: finer is invisible and only makes the file bigger.
void append_coord(std::string& out, double v) {
  const long long tenths = std::llround(std::clamp(v, -1e6, 1e6) * 10);
  if (tenths < 0) out += '-';
  const long long a = tenths < 0 ? -tenths : tenths;
  out += std::to_string(a / 10);
  if (a % 10) {
    out += '.';
    out += static_cast<char>('0' + a % 10);
  }
}

// A step of 1, 2, 2.5 or 5 times a power of ten that cuts `span` into at most `parts`.
double nice_step(double span, int parts) {
  const double raw = span / parts;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

std::string tick_label(double v, Unit unit) {
  if (unit == Unit::kBytes || unit == Unit::kCount) return format_value(v, unit).text();
  return format_auto(v);
}

constexpr double kSmallPercent = 40;

struct Scale {
  double lo = 0, hi = 1, step = 0.25;
  // Every value of a line lies within lo..hi; the clamp only matters for the fallback scale of
  // values too large to scale, which then run along the plot's edge instead of off the page.
  double y_of(double v) const {
    const double y = kTop + kPlotHeight * (1 - (v - lo) / (hi - lo));
    return std::isnan(y) ? kTop + kPlotHeight
                         : std::clamp(y, double(kTop), double(kTop + kPlotHeight));
  }
  int ticks() const { return static_cast<int>(std::lround((hi - lo) / step)); }
  double tick(int i) const { return lo + step * i; }
};

// Percentages keep 0..100 and everything else starts at zero, as on the dashboard, so a flat
// line near its maximum does not look like a swing.
Scale scale_for(const ChartInput& c) {
  double lo = 0, hi = 0;
  for (const ChartLine& l : c.lines) {
    for (size_t r = 0; r < c.rows && r < l.values.size(); ++r) {
      if (!std::isfinite(l.values[r])) continue;
      lo = std::min(lo, l.values[r]);
      hi = std::max(hi, l.values[r]);
    }
  }
  Scale s;
  // A small percentage with alert thresholds (an error rate) zooms in, to its thresholds at
  // least, so that 2 % and 5 % do not both sit on the floor of a 0..100 axis; others keep 0..100.
  double top = hi;
  for (const ChartThreshold& t : c.thresholds) top = std::max(top, t.value);
  const bool zoom = c.percent && !c.thresholds.empty() && top <= kSmallPercent && lo >= 0;
  if (zoom) hi = top;
  if (c.percent && !zoom && hi <= 100 && lo >= 0) {
    s.lo = 0, s.hi = 100, s.step = 25;
    return s;
  }
  if (hi <= lo) hi = lo + 1;
  s.step = nice_step((hi - lo) * 1.1, 4);
  s.lo = std::floor(lo / s.step) * s.step;
  s.hi = std::ceil(hi * 1.05 / s.step) * s.step;
  if (s.hi <= hi) s.hi += s.step;
  // Values near the limits of a double overflow the arithmetic above: a plain 0..1 scale then,
  // rather than an endless tick loop.
  if (!std::isfinite(s.lo) || !std::isfinite(s.hi) || !(s.step > 0) || s.ticks() < 1 ||
      s.ticks() > 12)
    return Scale{};
  return s;
}

// A tick step of the time axis that puts at most six labels on it, aligned to the local clock.
int64_t time_step_ms(int64_t span_ms) {
  static const int64_t kSteps[] = {5,   10,   15,   30,   60,    120,   300,   600,
                                   900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
  for (const int64_t s : kSteps) {
    if (span_ms / (s * 1000) <= 6) return s * 1000;
  }
  return 86400 * 1000 * ((span_ms / 86'400'000) / 6 + 1);
}

int64_t local_offset_ms(int64_t epoch_ms) {
  const std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  return static_cast<int64_t>(tm.tm_gmtoff) * 1000;
}

void write_axes(std::string& out, const ChartInput& c, const Scale& s, const TimeAxis& axis) {
  out += "<g class=\"grid\"><path d=\"";
  for (int i = 0; i <= s.ticks(); ++i) {
    out += 'M';
    append_coord(out, kLeft);
    out += ' ';
    append_coord(out, s.y_of(s.tick(i)));
    out += 'h';
    out += std::to_string(kPlotWidth);
  }
  const int64_t step = time_step_ms(c.end_ms - c.start_ms);
  const int64_t offset = local_offset_ms(c.end_ms);
  std::vector<int64_t> ticks;
  for (int64_t t = (c.start_ms + offset + step - 1) / step * step - offset; t <= c.end_ms;
       t += step) {
    ticks.push_back(t);
  }
  for (const int64_t t : ticks) {
    out += 'M';
    append_coord(out, kLeft + axis.x_of(t));
    out += ' ' + std::to_string(kTop) + 'v' + std::to_string(kPlotHeight);
  }
  out += "\"/></g><g class=\"axis\"><path d=\"M" + std::to_string(kLeft) + ' ' +
         std::to_string(kTop + kPlotHeight) + 'h' + std::to_string(kPlotWidth) + "\"/>";
  for (int i = 0; i <= s.ticks(); ++i) {
    const double v = s.tick(i);
    out += "<text x=\"" + std::to_string(kLeft - 4) + "\" y=\"";
    append_coord(out, s.y_of(v) + 3.5);
    out += "\" text-anchor=\"end\">";
    append_escaped(out, tick_label(std::fabs(v) < s.step / 1e6 ? 0 : v, c.unit));
    out += "</text>";
  }
  const char* format = step < 60'000 ? "%H:%M:%S" : "%H:%M";
  for (const int64_t t : ticks) {
    const double x = kLeft + axis.x_of(t);
    // Labels that would spill over the edges are dropped; their grid lines stay.
    if (x < kLeft + 12 || x > kWidth - 14) continue;
    out += "<text x=\"";
    append_coord(out, x);
    out += "\" y=\"" + std::to_string(kHeight - 4) + "\" text-anchor=\"middle\">" +
           format_local(t, format) + "</text>";
  }
  out += "</g>";
}

void write_line(std::string& out, const ChartInput& c, const ChartLine& l, const Scale& s,
                const TimeAxis& axis) {
  const std::vector<ChartSegment> segments = downsample(
      c.times_ms, l.values.data(), std::min(c.rows, l.values.size()), axis, c.max_step_ms);
  if (segments.empty()) return;
  out += "<path class=\"line s" + std::to_string(l.color) + "\" d=\"";
  for (const ChartSegment& seg : segments) {
    char command = 'M';
    for (const ChartPoint& p : seg) {
      out += command;
      append_coord(out, kLeft + p.x);
      out += ' ';
      append_coord(out, s.y_of(p.value));
      command = ' ';
    }
    // A lone sample between two gaps: a zero-length line that the round cap draws as a dot.
    if (seg.size() == 1) out += "h0";
  }
  out += "\"/>";
}

void write_thresholds(std::string& out, const ChartInput& c, const Scale& s) {
  // The scale follows the values, as on the dashboard: a threshold far above them would flatten
  // the lines, so it shows once the values come near it.
  for (const ChartThreshold& t : c.thresholds) {
    if (!std::isfinite(t.value) || t.value < s.lo || t.value > s.hi) continue;
    out += std::string("<path class=\"threshold ") + (t.critical ? "crit" : "warn") + "\" d=\"M" +
           std::to_string(kLeft) + ' ';
    append_coord(out, s.y_of(t.value));
    out += 'h' + std::to_string(kPlotWidth) + "\"/>";
  }
}

// The last and the highest value of a line in the window, for the legend.
void write_legend(std::string& out, const ChartInput& c) {
  out += "<ul class=\"legend\">";
  for (const ChartLine& l : c.lines) {
    double last = std::nan(""), high = std::nan("");
    for (size_t r = 0; r < c.rows && r < l.values.size(); ++r) {
      if (!std::isfinite(l.values[r])) continue;
      last = l.values[r];
      high = std::isnan(high) ? last : std::max(high, last);
    }
    out += "<li class=\"s" + std::to_string(l.color) + "\">";
    append_escaped(out, l.label);
    out += " <span class=\"stat\">last ";
    append_escaped(out, format_value(last, c.unit).text());
    out += " \u00b7 max ";
    append_escaped(out, format_value(high, c.unit).text());
    out += "</span></li>";
  }
  out += "</ul>";
}

}  // namespace

void write_chart(std::string& out, const ChartInput& c) {
  const TimeAxis axis{c.start_ms, c.end_ms, kPlotWidth};
  const Scale scale = scale_for(c);
  const std::string unit(unit_symbol(c.unit));
  out += "<figure class=\"chart\"";
  if (!c.id.empty()) {
    out += " id=\"";
    append_escaped(out, c.id);
    out += '"';
  }
  out += "><figcaption>";
  append_escaped(out, c.title);
  if (!unit.empty()) {
    out += " <span class=\"unit\">";
    append_escaped(out, unit);
    out += "</span>";
  }
  out += "</figcaption><svg class=\"plot\" viewBox=\"0 0 " + std::to_string(kWidth) + ' ' +
         std::to_string(kHeight) + "\" role=\"img\" aria-label=\"";
  append_escaped(out, c.title + (unit.empty() ? "" : " (" + unit + ")") + " from " +
                          format_local(c.start_ms, "%H:%M") + " to " +
                          format_local(c.end_ms, "%H:%M"));
  out += "\">";
  write_axes(out, c, scale, axis);
  write_thresholds(out, c, scale);
  for (const ChartLine& l : c.lines) write_line(out, c, l, scale, axis);
  out += "</svg>";
  write_legend(out, c);
  out += "</figure>\n";
}

}  // namespace resync::views::detail

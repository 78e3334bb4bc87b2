// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "field_tree.hpp"
#include "resync/snapshot.hpp"
#include "resync/views/presentation.hpp"

/// The pieces of the HTML report, each appending its markup to one string. Not thread-safe per
/// string; every function is pure over its arguments.
namespace resync::views::detail {

/// The en dash shown for a missing value: never a zero that nobody measured.
inline constexpr std::string_view kMissing = "\u2013";

/// The rows of a snapshot a report covers and the time axis its charts span.
struct ReportWindow {
  size_t first_row = 0;         ///< first row of snap.store inside the window
  size_t rows = 0;              ///< rows inside the window
  int64_t start_ms = 0;         ///< left end of the time axis: the oldest sample shown
  int64_t end_ms = 0;           ///< right end: the newest sample (or the snapshot time when empty)
  int64_t asked_ms = 0;         ///< span asked for; 0 = whatever the snapshot holds
  bool short_of_asked = false;  ///< the source held less history than asked for
  size_t last_row() const { return first_row + rows - 1; }  ///< only when rows > 0
};
ReportWindow report_window(const MonitorSnapshot& snap, int minutes);

/// Everything the parts read: the snapshot, its window and the /current and /history field
/// trees built from the series descriptions.
struct ReportData {
  const MonitorSnapshot& snap;
  ReportWindow window;
  FieldNode current;    ///< by current_field ("section.field")
  FieldNode history;    ///< by history_field ("tws.latency")
  Presentation layout;  ///< the cards and charts, as the dashboard shows them
};

/// The leaf at a dotted path, or nullptr when no series fills it.
const FieldNode* find_series(const FieldNode& root, std::string_view path);
/// The description of the field's first column.
const SeriesDescription& field_description(const MonitorSnapshot& snap, const FieldNode& n);

/// A value for humans, number and unit apart so a card can size them differently.
struct Formatted {
  std::string number;
  std::string unit;
  std::string text() const { return unit.empty() ? number : number + " " + unit; }
};
/// By unit: "%", "ms", "/s", bytes as KiB/MiB/GiB, long durations as "2h 5m", counts with
/// thousands separators and M/G, booleans as yes/no; NaN is kMissing.
Formatted format_value(double v, Unit unit);
/// Fixed decimals with thousands separators ("12,345.6"); NaN is kMissing.
std::string format_fixed(double v, int decimals);
/// Two or three significant digits whatever the magnitude: 0.42, 4.2, 42, 420.
std::string format_auto(double v);
/// Local time by strftime `format` ("%H:%M:%S").
std::string format_local(int64_t epoch_ms, const char* format);
/// "5 s", "1 min", "2 h 5 min".
std::string format_span(int64_t ms);

/// Appends `text` with &, <, >, " and ' escaped.
void append_escaped(std::string& out, std::string_view text);

void write_cards(std::string& out, const ReportData& d);
void write_charts(std::string& out, const ReportData& d);
void write_series_table(std::string& out, const ReportData& d);
void write_alerts(std::string& out, const ReportData& d);
void write_health(std::string& out, const ReportData& d);
/// The page's whole style sheet: light, dark (prefers-color-scheme) and print (A4).
std::string_view report_css();

}  // namespace resync::views::detail

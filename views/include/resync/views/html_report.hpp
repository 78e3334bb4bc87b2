// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "resync/snapshot.hpp"

/// The static HTML report (`resync-mon report`, GET /api/monitoring/report): one self-contained
/// HTML5 file with inline CSS and SVG charts rendered here, no script, no external request and
/// no web font, so it can be mailed, archived or opened on a machine with no network. It shows
/// the dashboard's cards and charts, a min/avg/max/last table of every series, the alerts of the
/// window, collector health, and when and from what it was made; sections, labels and units come
/// from the series descriptions of the snapshot.
namespace resync::views {

struct ReportOptions {
  std::string title = "resync-mon report";
  /// Minutes of history to cover, ending at the newest sample; 0 = everything the snapshot holds.
  /// More than the snapshot holds is not an error: the report says what it covers.
  int minutes = 0;
  /// What the data came from, shown in the header ("state file /var/lib/resync-mon/state");
  /// "" = the snapshot's own `source`.
  std::string source;
  /// Wall-clock time the report is made, epoch ms; 0 = the snapshot's taken_at_ms.
  int64_t generated_at_ms = 0;
};

/// Rows of history a report of `minutes` needs at `interval` (the whole store for 0), for a
/// caller that takes the snapshot itself: `monitor.snapshot(report_rows(interval, minutes))`.
size_t report_rows(std::chrono::milliseconds interval, int minutes);

/// The report of `snap`. Formatting is locale-independent; the times shown are in the host's local
/// time zone, which the report names. Never throws for odd data (an empty snapshot, NaN and
/// infinite values, a series without description). A string, not a stream: the server caches and
/// compresses it, and the page is small (at most 200 KB for a full window).
std::string render_report(const MonitorSnapshot& snap, const ReportOptions& o);

}  // namespace resync::views

// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "resync/snapshot.hpp"

/// Exports of a snapshot's history, one writer per format, for `resync-mon history` and anything
/// else that holds a MonitorSnapshot (a live monitor, a state file, a remote server). Each writer
/// takes the stream, the snapshot and a query, writes UTF-8 text independent of the locale and
/// throws std::invalid_argument for a query that names an unknown series.
namespace resync::views {

/// Which part of the history to export.
struct HistoryQuery {
  /// The newest minutes * 60 s / interval rows (at least one), as /history?minutes=N counts
  /// them; nullopt = every row. A span longer than the data held is not an error.
  std::optional<int64_t> minutes;
  /// Series to export, each a column label (series_labels()) or a metric name (every instance
  /// of it); empty = every series, in layout order.
  std::vector<std::string> series;
};

/// The columns and rows a query selects.
struct HistorySelection {
  std::vector<size_t> columns;      ///< indexes into snap.keys(), in output order
  std::vector<std::string> labels;  ///< one per column
  size_t first_row = 0;             ///< rows first_row .. store.rows - 1
};

/// The label of each series: its metric, or "metric{instance}" when the metric has several
/// instances (the host's per-collector series, two cache instances, ...).
std::vector<std::string> series_labels(const MonitorSnapshot& snap);

/// Resolves `query` against `snap`. Throws std::invalid_argument "unknown series \"x\"; known: a,
/// b".
HistorySelection select_history(const MonitorSnapshot& snap, const HistoryQuery& query);

/// CSV: a header row `time,epoch,<label>...`, then one line per sample: the ISO-8601 UTC time
/// (milliseconds shown when not zero), epoch seconds, and each value (shortest round-trip form;
/// an empty cell for a missing value). Fields are quoted per RFC 4180 when they hold a comma,
/// quote or line break; lines end in "\n".
void render_history_csv(std::ostream& out, const MonitorSnapshot& snap, const HistoryQuery& query);
std::string render_history_csv(const MonitorSnapshot& snap, const HistoryQuery& query);

/// NDJSON: one object per sample,
/// `{"time":"...Z","epoch":1764640000,"values":{"<label>":1.5,...}}`, null for a missing value.
void render_history_ndjson(std::ostream& out, const MonitorSnapshot& snap,
                           const HistoryQuery& query);
std::string render_history_ndjson(const MonitorSnapshot& snap, const HistoryQuery& query);

/// An aligned text table for a terminal: local HH:MM:SS, then one column per series; "-" for a
/// missing value.
void render_history_table(std::ostream& out, const MonitorSnapshot& snap,
                          const HistoryQuery& query);
std::string render_history_table(const MonitorSnapshot& snap, const HistoryQuery& query);

/// OpenMetrics 1.0 text of every selected sample, for `promtool tsdb create-blocks-from
/// openmetrics`: per metric family `# TYPE`, `# UNIT` (when the name ends in it) and `# HELP`
/// from the series descriptions, then each series' samples oldest first with a timestamp in
/// seconds; names and scaling as /metrics (exposition_name()), counters' samples `_total`,
/// missing values left out (a gap, not a NaN), and the final `# EOF`.
void render_openmetrics(std::ostream& out, const MonitorSnapshot& snap, const HistoryQuery& query);
std::string render_openmetrics(const MonitorSnapshot& snap, const HistoryQuery& query);

}  // namespace resync::views

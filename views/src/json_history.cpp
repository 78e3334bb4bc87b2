// SPDX-License-Identifier: MIT
#include <set>
#include <string>

#include "field_tree.hpp"
#include "json_common.hpp"
#include "original_shape.hpp"
#include "resync/json_writer.hpp"
#include "resync/views/json.hpp"
#include "resync/views/presentation.hpp"

namespace resync::views {
namespace {

using detail::FieldNode;
using K = FieldNode::Kind;

std::string history_field(const SeriesDescription& d) { return d.history_field; }

void write_node(JsonWriter& w, const StoreSnapshot& s, const FieldNode& n) {
  if (n.kind == K::kObject) {
    w.begin_object();
    for (const FieldNode& c : n.children) {
      w.key(c.name);
      write_node(w, s, c);
    }
    w.end_object();
    return;
  }
  w.begin_array();
  for (size_t r = 0; r < s.rows; ++r) {
    if (n.kind == K::kSeries)
      w.value(field_value(s, n, r));
    else
      w.value(int64_t{0});
  }
  w.end_array();
}

// The stored values of the chart lines that have no column above, so that every chart of the
// layout fills from /history; NaN (a failed run) is null.
void write_line_series(JsonWriter& w, const MonitorSnapshot& snap) {
  const StoreSnapshot& s = snap.store;
  const std::string prefix = std::string(kHistorySeries) + ".";
  std::set<std::string> written;
  w.key(kHistorySeries).begin_object();
  for (const LayoutChart& chart : build_presentation(snap).charts) {
    for (const LayoutLine& line : chart.lines) {
      if (line.history.compare(0, prefix.size(), prefix) != 0) continue;
      if (!written.insert(line.metric).second) continue;
      w.key(line.metric).begin_array();
      for (size_t r = 0; r < s.rows; ++r) w.value(s.at(line.column, r));
      w.end_array();
    }
  }
  w.end_object();
}

}  // namespace

std::string render_history(const MonitorSnapshot& snap) {
  const FieldNode shape =
      detail::build_shape(detail::original_history_shape(), snap, history_field);
  const StoreSnapshot& s = snap.store;
  std::string out;
  out.reserve(s.rows * 160 + 512);
  JsonWriter w(out);
  w.begin_object();
  w.key("timestamps").begin_array();
  for (int64_t t : s.timestamps_ms) w.value(format_clock(t));
  w.end_array();
  w.key("epoch").begin_array();
  for (int64_t t : s.timestamps_ms) w.value(t / 1000);
  w.end_array();
  for (const FieldNode& section : shape.children) {
    w.key(section.name);
    write_node(w, s, section);
  }
  w.field("sample_count", static_cast<uint64_t>(s.rows));
  w.field("interval_seconds", static_cast<double>(snap.interval.count()) / 1000.0);
  write_line_series(w, snap);
  w.end_object();
  return out;
}

}  // namespace resync::views

// SPDX-License-Identifier: MIT

#include "field_tree.hpp"
#include "json_common.hpp"
#include "original_shape.hpp"
#include "resync/json_writer.hpp"
#include "resync/views/json.hpp"

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
  w.end_object();
  return out;
}

}  // namespace resync::views

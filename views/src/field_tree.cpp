// SPDX-License-Identifier: MIT
#include "field_tree.hpp"

#include <algorithm>
#include <cmath>

#include "resync/util/rate.hpp"

namespace resync::views::detail {

FieldNode* FieldNode::child(std::string_view n) {
  for (FieldNode& c : children) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

FieldNode& FieldNode::at(std::string_view path) {
  const size_t dot = path.find('.');
  const std::string_view head = path.substr(0, dot);
  FieldNode* next = child(head);
  if (!next) {
    FieldNode node;
    node.name = std::string(head);
    node.kind = dot == std::string_view::npos ? Kind::kZero : Kind::kObject;
    kind = Kind::kObject;
    children.push_back(std::move(node));
    next = &children.back();
  }
  if (dot == std::string_view::npos) return *next;
  next->kind = Kind::kObject;
  return next->at(path.substr(dot + 1));
}

FieldNode build_shape(const std::vector<std::pair<const char*, FieldNode::Kind>>& defaults,
                      const MonitorSnapshot& snap,
                      std::string (*field_of)(const SeriesDescription&)) {
  FieldNode root;
  for (const auto& [path, kind] : defaults) {
    FieldNode& n = root.at(path);
    n.kind = kind;
    if (kind == FieldNode::Kind::kText) n.text = "not configured";
  }
  const std::vector<SeriesKey>& keys = snap.keys();
  std::vector<std::string> seen;  // metrics already placed: the first instance wins
  for (size_t c = 0; c < keys.size(); ++c) {
    const SeriesDescription& d = keys[c].description;
    const std::string field = field_of(d);
    if (field.empty() || std::find(seen.begin(), seen.end(), keys[c].metric) != seen.end())
      continue;
    seen.push_back(keys[c].metric);
    FieldNode& n = root.at(field);
    if (n.kind == FieldNode::Kind::kObject) continue;  // a section, not a field: ignore
    n.kind = FieldNode::Kind::kSeries;
    n.boolean = d.unit == Unit::kBoolean;
    n.columns.emplace_back(c, (d.flags & series_flags::kHistoryIncrease) != 0);
  }
  return root;
}

double field_value(const StoreSnapshot& s, const FieldNode& n, size_t row) {
  double total = 0;
  for (const auto& [column, increase] : n.columns) {
    if (!increase) {
      total += s.at(column, row);
    } else if (row == 0) {
      return std::nan("");
    } else {
      total += counter_increase(s.at(column, row - 1), s.at(column, row));
    }
  }
  return total;
}

}  // namespace resync::views::detail

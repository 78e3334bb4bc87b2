// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resync/snapshot.hpp"

namespace resync::views::detail {

/// An ordered tree of JSON fields: a document shape that the original dashboard fixed (so its
/// clients find every field, zero when nothing provides it) and that the plugins' series
/// descriptions fill and extend, so no view names a plugin's series.
struct FieldNode {
  enum class Kind {
    kObject,   ///< children, in order
    kZero,     ///< a number nobody provides: 0
    kFalse,    ///< a boolean nobody provides: false
    kText,     ///< `text`
    kSeries,   ///< the value of `columns` (summed when several)
    kTrend,    ///< % change of `columns[0]` against the sample five minutes earlier
    kStatus,   ///< status text of the first collector of `plugin`
    kSpecial,  ///< written by the view itself (alerts, correlation_ids)
  };
  std::string name;
  Kind kind = Kind::kObject;
  std::vector<FieldNode> children;
  std::vector<std::pair<size_t, bool>> columns;  ///< (column, as increase per sample)
  bool boolean = false;                          ///< kSeries shown as true when the value is 1
  std::string text;
  std::string plugin;

  /// The node at a dotted path below this one, created (appended, as a number nobody provides)
  /// with its missing parents when absent.
  FieldNode& at(std::string_view path);
  /// The direct child named `name`, or nullptr.
  FieldNode* child(std::string_view name);
};

/// Builds a shape from `defaults`, a list of (dotted path, kind) in document order, then lets
/// every series whose description names a field there fill it: `field_of` picks the field
/// (current_field or history_field). Only the first instance of each metric counts.
FieldNode build_shape(const std::vector<std::pair<const char*, FieldNode::Kind>>& defaults,
                      const MonitorSnapshot& snap,
                      std::string (*field_of)(const SeriesDescription&));

/// One row's value of a field: its columns summed, each as a value or as its increase since the
/// previous row (NaN on row 0 for those, which has no predecessor: null in JSON).
double field_value(const StoreSnapshot& s, const FieldNode& n, size_t row);

}  // namespace resync::views::detail

// SPDX-License-Identifier: MIT
#pragma once

#include <utility>
#include <vector>

#include "field_tree.hpp"

namespace resync::views::detail {

/// A shape to build with build_shape(): (dotted path, kind) in document order.
using ShapeDefaults = std::vector<std::pair<const char*, FieldNode::Kind>>;

/// The fields of the original Resync dashboard's /current, in its order, with their kinds when
/// nothing provides them. From the one compatibility table (original_shape.cpp).
const ShapeDefaults& original_current_shape();
/// The columns of the original /history, in its order (each an array of zeros when nothing
/// provides it). Derived from the same table.
const ShapeDefaults& original_history_shape();

}  // namespace resync::views::detail

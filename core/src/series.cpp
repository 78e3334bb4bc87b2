// SPDX-License-Identifier: MIT
#include "resync/series.hpp"

namespace resync {

std::string_view unit_symbol(Unit unit) {
  switch (unit) {
    case Unit::kSeconds:
      return "s";
    case Unit::kMilliseconds:
      return "ms";
    case Unit::kBytes:
      return "B";
    case Unit::kPercent:
      return "%";
    case Unit::kPerSecond:
      return "/s";
    case Unit::kCount:
    case Unit::kRatio:
    case Unit::kBoolean:
      break;
  }
  return "";
}

std::string_view unit_name(Unit unit) {
  switch (unit) {
    case Unit::kCount:
      return "count";
    case Unit::kSeconds:
      return "seconds";
    case Unit::kMilliseconds:
      return "milliseconds";
    case Unit::kBytes:
      return "bytes";
    case Unit::kPercent:
      return "percent";
    case Unit::kRatio:
      return "ratio";
    case Unit::kPerSecond:
      return "per_second";
    case Unit::kBoolean:
      return "boolean";
  }
  return "count";
}

size_t SeriesLayout::add(SeriesKey key) {
  if (auto existing = find(key.metric, key.instance)) return *existing;
  keys_.push_back(std::move(key));
  return keys_.size() - 1;
}

std::optional<size_t> SeriesLayout::find(std::string_view metric, std::string_view instance) const {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].metric == metric && keys_[i].instance == instance) return i;
  }
  return std::nullopt;
}

std::optional<size_t> SeriesLayout::find_first(std::string_view metric) const {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].metric == metric) return i;
  }
  return std::nullopt;
}

std::vector<size_t> SeriesLayout::find_all(std::string_view metric) const {
  std::vector<size_t> columns;
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].metric == metric) columns.push_back(i);
  }
  return columns;
}

}  // namespace resync

// SPDX-License-Identifier: MIT
#include "resync/series.hpp"

namespace resync {

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

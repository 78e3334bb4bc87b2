// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace resync {

/// Identity of one stored series: a metric of one collector instance.
struct SeriesKey {
  std::string metric;    ///< catalog name, e.g. "cache_hits"
  std::string instance;  ///< collector instance name, e.g. "redis"
  std::string plugin;    ///< plugin of that instance, e.g. "cache"
};

/// The fixed, ordered list of series a store holds; a series' position is its column in the
/// RingBuffer and its slot in a sample row. Built once at start-up, then read-only (so any
/// thread may read it).
class SeriesLayout {
 public:
  /// Appends a series and returns its column. Adding an existing (metric, instance) pair
  /// returns the existing column.
  size_t add(SeriesKey key);

  size_t size() const { return keys_.size(); }
  const SeriesKey& key(size_t column) const { return keys_[column]; }
  const std::vector<SeriesKey>& keys() const { return keys_; }

  /// Column of (metric, instance), if stored.
  std::optional<size_t> find(std::string_view metric, std::string_view instance) const;
  /// Column of `metric` in the first instance that has it, the one the original-shaped JSON
  /// documents show.
  std::optional<size_t> find_first(std::string_view metric) const;
  /// Columns of `metric` in every instance, in configuration order.
  std::vector<size_t> find_all(std::string_view metric) const;

 private:
  std::vector<SeriesKey> keys_;
};

}  // namespace resync

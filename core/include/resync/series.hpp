// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace resync {

/// Unit of a series; the values match the plugin ABI's RESYNC_UNIT_*.
enum class Unit : uint32_t {
  kCount,
  kSeconds,
  kMilliseconds,
  kBytes,
  kPercent,
  kRatio,
  kPerSecond,
  kBoolean
};
/// Kind of a series, which decides its Prometheus TYPE; values match RESYNC_KIND_*.
enum class Kind : uint32_t { kGauge, kCounter };

/// Flags of a series; values match the plugin ABI's RESYNC_SERIES_*.
namespace series_flags {
inline constexpr uint32_t kTrend = 0x1;  ///< its /current section's "trend" comes from it
inline constexpr uint32_t kHostAvailability = 0x2;  ///< host fills the share of successful runs
inline constexpr uint32_t kHostInFlight = 0x4;      ///< host fills the collector runs in flight
inline constexpr uint32_t kHistoryIncrease =
    0x8;  ///< its /history column is the increase per sample
}  // namespace series_flags

/// Flags of a presentation hint; values match the plugin ABI's RESYNC_HINT_*.
namespace hint_flags {
inline constexpr uint32_t kHeadline = 0x1;  ///< its card's big value
inline constexpr uint32_t kNoChart = 0x2;   ///< drawn in no chart
}  // namespace hint_flags

/// What a series is, as its plugin (or the host, for its own series) declares it.
struct SeriesDescription {
  std::string name;  ///< e.g. "queue_depth"
  Unit unit = Unit::kCount;
  Kind kind = Kind::kGauge;
  std::string help;           ///< one sentence
  std::string current_field;  ///< "queue.depth": its place in /current; "" for none
  std::string history_field;  ///< "queue.depth": its place in /history; "" for none
  uint32_t flags = 0;         ///< series_flags::*
  // Presentation hints (SPEC section 5), all optional: what the screens' model starts from.
  std::string card;         ///< title of the card showing it; "" = a card named after the plugin
  std::string label;        ///< its short label on cards and legends; "" = from the name
  std::string chart;        ///< title of its chart; "" = one chart per card and unit
  uint32_t hint_flags = 0;  ///< hint_flags::*
  int32_t order = 0;        ///< its plugin's place on the screens; 0 = after those with one

  SeriesDescription() = default;
  /// A unitless gauge with no place in the documents (what an older plugin's series becomes).
  SeriesDescription(std::string n) : name(std::move(n)) {}  // NOLINT: implicit on purpose
  SeriesDescription(const char* n) : name(n) {}             // NOLINT: implicit on purpose
  SeriesDescription(std::string n, Unit u, Kind k, std::string h, std::string current = {},
                    std::string history = {}, uint32_t f = 0)
      : name(std::move(n)),
        unit(u),
        kind(k),
        help(std::move(h)),
        current_field(std::move(current)),
        history_field(std::move(history)),
        flags(f) {}
};

/// "%", "ms", "s", "B", "/s" or "" for plain counts and booleans: for values shown to humans.
std::string_view unit_symbol(Unit unit);
/// "percent", "milliseconds", ...: the ABI's names, for `plugins` and exports.
std::string_view unit_name(Unit unit);

/// Identity of one stored series: a metric of one collector instance, and its description.
struct SeriesKey {
  std::string metric;               ///< series name, e.g. "queue_depth"
  std::string instance;             ///< collector instance name, e.g. "primary"
  std::string plugin;               ///< plugin of that instance, e.g. "myplugin"
  SeriesDescription description{};  ///< description.name == metric (empty for a bare key)
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

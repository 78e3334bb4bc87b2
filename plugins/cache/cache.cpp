// SPDX-License-Identifier: MIT
// The `cache` collector: lookups, misses, evictions and key count of a cache, read from Redis over
// RESP (INFO stats, DBSIZE) or scraped from a Prometheus text endpoint (SPEC section 4).
#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "prom_source.hpp"
#include "redis_source.hpp"
#include "resync/plugin/plugin.hpp"
#include "resync/util/rate.hpp"

namespace resync::plugin {
namespace {

using std::chrono::milliseconds;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

constexpr resync_series_desc kSeries[] = {
    {"cache_hits", RESYNC_UNIT_COUNT, RESYNC_KIND_COUNTER, "Cache lookups that found their key.",
     "cache.hits", "cache.operations", RESYNC_SERIES_HISTORY_INCREASE},
    {"cache_misses", RESYNC_UNIT_COUNT, RESYNC_KIND_COUNTER,
     "Cache lookups that did not find their key.", "cache.misses", "cache.operations",
     RESYNC_SERIES_HISTORY_INCREASE},
    {"cache_hit_ratio", RESYNC_UNIT_PERCENT, RESYNC_KIND_GAUGE,
     "Share of cache lookups that hit over the last interval.", "cache.hit_ratio",
     "cache.hit_ratio", RESYNC_SERIES_TREND},
    {"cache_size", RESYNC_UNIT_COUNT, RESYNC_KIND_GAUGE, "Keys held by the cache.", "cache.size",
     nullptr, 0},
    {"cache_evictions", RESYNC_UNIT_COUNT, RESYNC_KIND_COUNTER,
     "Keys evicted by the cache to stay within its memory limit.", "cache.evictions", nullptr, 0},
};

// The original dashboard's rule: a hit ratio under 80 % means little over a handful of lookups,
// so it needs 100 of them per sample, and it clears at 85 % (see DefaultRule::calm()).
constexpr const char* kLookups[] = {"cache_hits", "cache_misses"};
const resync_alert_rule kRules[] = {
    DefaultRule("cache_hit_ratio")
        .warning(RESYNC_CMP_BELOW, 80, 85)
        .guard(kLookups, 100)
        .calm()
        .rule(),
};

// How the dashboard and the report show these series: the cards and charts of the original
// Resync dashboard.
constexpr resync_series_hint kHints[] = {
    {"cache_hit_ratio", nullptr, "hit ratio", "Cache hit ratio", RESYNC_HINT_HEADLINE},
    {"cache_hits", nullptr, "hits", "Cache lookups", 0},
    {"cache_misses", nullptr, "misses", "Cache lookups", 0},
    {"cache_size", nullptr, "keys", nullptr, RESYNC_HINT_NO_CHART},
    {"cache_evictions", nullptr, "evicted", nullptr, RESYNC_HINT_NO_CHART},
};
constexpr resync_presentation kPresentation = {
    sizeof(resync_presentation), "Cache", 20, kHints, std::size(kHints),
    sizeof(resync_series_hint)};

// Network I/O gets 80% of the host's deadline: the rest covers thread wake-up and emitting, so a
// silent target makes collect() fail on its own with a precise message instead of being
// abandoned by the host as an overrun.
milliseconds io_budget(milliseconds timeout) { return std::max(milliseconds{1}, timeout * 8 / 10); }

// 100 * hits / (hits + misses); NaN when there were no lookups.
double hit_ratio(double hits, double misses) {
  const double lookups = hits + misses;
  if (!(lookups > 0)) return kNaN;
  return 100.0 * hits / lookups;
}

class CacheCollector final : public CollectorBase {
 public:
  explicit CacheCollector(Options& o) {
    const std::string source = o.get_choice("source", "redis", {"redis", "prometheus"});
    const milliseconds budget = io_budget(o.timeout());
    if (source == "redis") {
      source_ = cache::make_redis_source(o, budget);
    } else {
      source_ = cache::make_prometheus_source(o, budget);
    }
  }

  void collect(const Emitter& emit) override {
    cache::Readings r;
    try {
      r = source_->read();
    } catch (const cache::ReadError& e) {
      set_status(e.status());
      throw;
    }
    emit("cache_hits", r.hits);
    emit("cache_misses", r.misses);
    emit("cache_size", r.size);
    emit("cache_evictions", r.evictions);
    // The ratio over the interval, from the counters' increases (a restarted cache counts from
    // zero again, which counter_increase handles). The first collection has no previous reading,
    // so it falls back to the ratio since the cache started.
    const std::optional<double> hits = hits_.update(r.hits);
    const std::optional<double> misses = misses_.update(r.misses);
    emit("cache_hit_ratio",
         hits && misses ? hit_ratio(*hits, *misses) : hit_ratio(r.hits, r.misses));
    set_status("ok");
  }

 private:
  std::unique_ptr<cache::Source> source_;
  CounterDelta hits_, misses_;
};

}  // namespace
}  // namespace resync::plugin

RESYNC_DEFINE_PLUGIN_WITH_HINTS_AND_RULES(
    resync::plugin::CacheCollector, "cache",
    "Cache hits, misses, hit ratio, size and evictions from Redis (RESP) or a Prometheus endpoint",
    resync::plugin::kSeries, nullptr, resync::plugin::kPresentation, resync::plugin::kRules)

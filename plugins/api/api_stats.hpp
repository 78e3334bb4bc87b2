// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "resync/plugin/prom_text.hpp"

/// The arithmetic of the `api` collector, kept free of I/O so tests can check it directly.
namespace resync::plugin::api {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The seven series of the api group for one sample; NaN = no value.
struct ApiValues {
  double requests_total = kNaN;
  double requests_per_sec = kNaN;
  double error_count = kNaN;
  double error_rate = kNaN;         ///< percent
  double response_time_p50 = kNaN;  ///< ms
  double response_time_p95 = kNaN;  ///< ms
  double response_time_avg = kNaN;  ///< ms
};

/// One cumulative histogram bucket: observations <= upper_bound.
struct HistogramBucket {
  double upper_bound = 0;
  double count = 0;
};

/// The q-quantile (0..1) of a cumulative histogram, computed exactly as PromQL's
/// histogram_quantile(): buckets sorted by bound, equal bounds merged, counts forced monotonic,
/// linear interpolation inside the bucket holding the rank (from 0 for the first bucket when its
/// bound is positive). NaN without a +Inf bucket, with fewer than two buckets or no observations;
/// the highest finite bound when the rank falls in the +Inf bucket; -Inf/+Inf for q < 0 / q > 1.
double histogram_quantile(double q, std::vector<HistogramBucket> buckets);

/// The q-quantile (0..1) of `values` by the nearest-rank method: the smallest observed value
/// with at least q of the values at or below it. Reorders `values`; NaN when it is empty.
double nearest_rank_quantile(std::vector<double>& values, double q);

/// True for a status label value meaning a server error: a code 500..599 ("503") or the
/// class "5xx" (any case).
bool is_server_error(const std::string& status);

/// What to read from a Prometheus scrape.
struct PromApiNames {
  std::string requests_metric = "http_requests_total";
  std::string status_label;  ///< "" = "status", else "code"
  std::string duration_metric = "http_request_duration_seconds";
  double duration_to_ms = 1000.0;  ///< factor from the histogram's unit to milliseconds
};

/// Turns successive scrapes of one target into ApiValues. Increases are taken per series (full
/// label set) and then summed, like sum(increase(...)) in PromQL, so a reset of one series is
/// seen even when others grow. A series never seen before counts from 0, so the first 503 of a
/// new label set is not lost; one that was missing from some scrapes resumes from its last value,
/// so it does not come back as a spike (series unseen for kForgetAfterScrapes are forgotten).
/// Not thread-safe: one per collector instance.
class PromApiState {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr uint64_t kForgetAfterScrapes = 100;

  explicit PromApiState(PromApiNames names) : names_(std::move(names)) {}

  /// Folds in one scrape taken at `now`. The first scrape yields the cumulative counters only
  /// (rates, error rate and response times NaN); later ones divide increases by the real time
  /// elapsed since the previous scrape. Counter resets never give negative values.
  ApiValues update(const PromParseResult& scrape, Clock::time_point now);

  /// Why some series are NaN after the last update(), e.g. "no samples named X"; "" if none.
  const std::string& note() const { return note_; }

 private:
  struct Last {
    double value;
    uint64_t scrape;  ///< number of the scrape that last had the series
  };
  /// One scrape summed over its series: cumulative totals and increases (d_) since the last.
  struct Totals {
    bool requests = false;   ///< the requests counter was found
    bool histogram = false;  ///< the duration histogram was found
    double total = 0, errors = 0, d_total = 0, d_errors = 0, d_sum = 0, d_count = 0;
    std::map<double, double> d_buckets;  ///< upper bound -> increase
  };
  double increase(const PromSample& s, bool first);
  bool is_error(const PromSample& s) const;
  Totals fold(const PromParseResult& scrape, bool first);
  /// The values of one scrape; rates only when `elapsed` (seconds) is not NaN.
  ApiValues values(const Totals& t, double elapsed) const;

  PromApiNames names_;
  std::unordered_map<std::string, Last> last_;
  uint64_t scrapes_ = 0;
  std::optional<Clock::time_point> previous_time_;
  std::string note_;
};

/// Keeps at most `capacity` of the values added since the last take(), as a uniform random
/// sample (reservoir sampling), so the memory used per interval is bounded whatever the traffic;
/// up to `capacity` values per interval the percentiles are exact. Not thread-safe.
class Reservoir {
 public:
  explicit Reservoir(size_t capacity) : capacity_(capacity) {}
  void add(double value);
  /// Hands over the values kept since the last take() and starts a new interval.
  std::vector<double> take();
  /// Values offered since the last take(), kept or not.
  size_t offered() const { return offered_; }

 private:
  size_t capacity_;
  size_t offered_ = 0;
  std::vector<double> values_;
  std::minstd_rand random_{0x5eed};
};

}  // namespace resync::plugin::api

// SPDX-License-Identifier: MIT
#include "api_stats.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "resync/util/rate.hpp"

namespace resync::plugin::api {
namespace {

// Identity of one series: name plus its labels in sorted order, so label order on the line
// does not matter.
std::string series_key(const PromSample& s) {
  std::vector<std::pair<std::string, std::string>> labels = s.labels;
  std::sort(labels.begin(), labels.end());
  std::string key = s.name;
  for (const auto& [k, v] : labels) {
    key += '\x1f';
    key += k;
    key += '=';
    key += v;
  }
  return key;
}

}  // namespace

double histogram_quantile(double q, std::vector<HistogramBucket> buckets) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  if (buckets.empty()) return kNaN;
  std::sort(buckets.begin(), buckets.end(), [](const HistogramBucket& a, const HistogramBucket& b) {
    return a.upper_bound < b.upper_bound;
  });
  if (!std::isinf(buckets.back().upper_bound) || buckets.back().upper_bound < 0) return kNaN;

  // Equal bounds ("1" and "1.0" from two label sets) are one bucket.
  std::vector<HistogramBucket> merged;
  for (const HistogramBucket& b : buckets) {
    if (!merged.empty() && merged.back().upper_bound == b.upper_bound) {
      merged.back().count += b.count;
    } else {
      merged.push_back(b);
    }
  }
  // Scrapes are not atomic across buckets, so a lower bucket may read higher than the next.
  double max = 0;
  for (HistogramBucket& b : merged) {
    if (b.count < max) b.count = max;
    max = b.count;
  }
  if (merged.size() < 2) return kNaN;
  const double observations = merged.back().count;
  if (!(observations > 0)) return kNaN;

  double rank = q * observations;
  size_t b = 0;
  while (b < merged.size() - 1 && merged[b].count < rank) ++b;
  if (b == merged.size() - 1) return merged[merged.size() - 2].upper_bound;
  if (b == 0 && merged[0].upper_bound <= 0) return merged[0].upper_bound;
  double start = 0;
  double count = merged[b].count;
  if (b > 0) {
    start = merged[b - 1].upper_bound;
    count -= merged[b - 1].count;
    rank -= merged[b - 1].count;
  }
  return start + (merged[b].upper_bound - start) * (rank / count);
}

double nearest_rank_quantile(std::vector<double>& values, double q) {
  if (values.empty() || std::isnan(q)) return kNaN;
  const double clamped = std::clamp(q, 0.0, 1.0);
  size_t rank = static_cast<size_t>(std::ceil(clamped * static_cast<double>(values.size())));
  rank = std::clamp<size_t>(rank, 1, values.size());
  auto nth = values.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(values.begin(), nth, values.end());
  return *nth;
}

bool is_server_error(const std::string& status) {
  if (status.size() != 3 || status[0] != '5') return false;
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  const auto x = [](char c) { return c == 'x' || c == 'X'; };
  return (digit(status[1]) && digit(status[2])) || (x(status[1]) && x(status[2]));
}

double PromApiState::increase(const PromSample& s, bool first) {
  Last& last = last_.try_emplace(series_key(s), Last{0.0, 0}).first->second;
  const double inc = first ? 0.0 : counter_increase(last.value, s.value);
  last = Last{s.value, scrapes_};
  return inc;
}

bool PromApiState::is_error(const PromSample& s) const {
  const std::string* status = nullptr;
  if (names_.status_label.empty()) {
    status = s.label("status");
    if (!status) status = s.label("code");
  } else {
    status = s.label(names_.status_label);
  }
  return status && is_server_error(*status);
}

// Increase of each series since it was last seen; 0 on the first scrape, where only the
// cumulative totals are reported.
PromApiState::Totals PromApiState::fold(const PromParseResult& scrape, bool first) {
  Totals t;
  const std::optional<std::string> requests_name =
      resolve_metric_name(scrape, names_.requests_metric);
  t.requests = requests_name.has_value();
  const std::string bucket_name = names_.duration_metric + "_bucket";
  const std::string sum_name = names_.duration_metric + "_sum";
  const std::string count_name = names_.duration_metric + "_count";
  for (const PromSample& s : scrape.samples) {
    if (std::isnan(s.value)) continue;
    if (requests_name && s.name == *requests_name) {
      const bool error = is_error(s);
      const double inc = increase(s, first);
      t.total += s.value;
      t.d_total += inc;
      if (error) {
        t.errors += s.value;
        t.d_errors += inc;
      }
    } else if (s.name == bucket_name) {
      const std::string* le = s.label("le");
      const std::optional<double> bound = le ? parse_prometheus_float(*le) : std::nullopt;
      if (!bound) continue;
      t.histogram = true;
      t.d_buckets[*bound] += increase(s, first);
    } else if (s.name == sum_name) {
      t.d_sum += increase(s, first);
    } else if (s.name == count_name) {
      t.d_count += increase(s, first);
    }
  }
  return t;
}

ApiValues PromApiState::values(const Totals& t, double elapsed) const {
  ApiValues v;
  if (t.requests) {
    v.requests_total = t.total;
    v.error_count = t.errors;
  }
  if (std::isnan(elapsed)) return v;
  if (t.requests) {
    v.requests_per_sec = per_second(t.d_total, elapsed);
    // No request in the interval is no news about errors: NaN (shown "–", and an error-rate
    // alert neither fires nor resolves on it), as the hit ratio with no lookups.
    v.error_rate = t.d_total > 0 ? 100.0 * t.d_errors / t.d_total : kNaN;
  }
  if (t.histogram) {
    std::vector<HistogramBucket> buckets;
    for (const auto& [bound, count] : t.d_buckets) buckets.push_back({bound, count});
    v.response_time_p50 = histogram_quantile(0.50, buckets) * names_.duration_to_ms;
    v.response_time_p95 = histogram_quantile(0.95, buckets) * names_.duration_to_ms;
    v.response_time_avg = t.d_count > 0 ? t.d_sum / t.d_count * names_.duration_to_ms : kNaN;
  }
  return v;
}

ApiValues PromApiState::update(const PromParseResult& scrape, Clock::time_point now) {
  const bool first = !previous_time_;
  ++scrapes_;
  const Totals t = fold(scrape, first);
  note_.clear();
  if (!t.requests)
    note_ = "no samples named " + names_.requests_metric + " (check requests_metric)";
  if (!t.histogram) {
    note_ += std::string(note_.empty() ? "" : "; ") + "no histogram named " +
             names_.duration_metric + " (check duration_metric)";
  }
  const double elapsed =
      first ? kNaN : std::chrono::duration<double>(now - *previous_time_).count();
  for (auto it = last_.begin(); it != last_.end();) {
    it = scrapes_ - it->second.scrape > kForgetAfterScrapes ? last_.erase(it) : std::next(it);
  }
  previous_time_ = now;
  return values(t, elapsed);
}

void Reservoir::add(double value) {
  ++offered_;
  if (values_.size() < capacity_) {
    values_.push_back(value);
    return;
  }
  // Algorithm R: the n-th value replaces a kept one with probability capacity / n.
  std::uniform_int_distribution<size_t> pick(0, offered_ - 1);
  const size_t slot = pick(random_);
  if (slot < capacity_) values_[slot] = value;
}

std::vector<double> Reservoir::take() {
  std::vector<double> out;
  out.swap(values_);
  offered_ = 0;
  return out;
}

}  // namespace resync::plugin::api

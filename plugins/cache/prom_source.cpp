// SPDX-License-Identifier: MIT
#include "prom_source.hpp"

#include <cmath>
#include <string>

#include "resync/plugin/http.hpp"
#include "resync/plugin/prom_text.hpp"

namespace resync::plugin::cache {
namespace {

class PrometheusSource final : public Source {
 public:
  PrometheusSource(Options& o, std::chrono::milliseconds budget)
      : url_(require_url(o)),
        hits_metric_(o.get_string("hits_metric", "resync_cache_hits")),
        misses_metric_(o.get_string("misses_metric", "resync_cache_misses")),
        size_metric_(o.get_string("size_metric", "resync_cache_size")),
        evictions_metric_(o.get_string("evictions_metric", "resync_cache_evictions")) {
    http_.timeout = budget;
    http_.bearer_token = o.get_string("token");
    read_tls_options(o, http_, url_);
    http_.headers.emplace_back("Accept", "text/plain;version=0.0.4;q=0.9,*/*;q=0.1");
  }

  Readings read() override {
    HttpResponse response;
    try {
      response = http_get(url_, http_);
    } catch (const HttpError& e) {
      throw ReadError(e.what(), status_of(e));
    }
    if (response.status < 200 || response.status > 299) {
      throw ReadError(
          "GET " + url_ + ": HTTP " + std::to_string(response.status) + " " + response.reason,
          "error: HTTP " + std::to_string(response.status));
    }
    const PromParseResult parsed = parse_prometheus_text(response.body);
    Readings r;
    r.hits = total(parsed, hits_metric_);
    r.misses = total(parsed, misses_metric_);
    r.size = total(parsed, size_metric_);
    r.evictions = total(parsed, evictions_metric_);
    if (std::isnan(r.hits) && std::isnan(r.misses) && std::isnan(r.size) &&
        std::isnan(r.evictions)) {
      std::string why = "GET " + url_ + ": none of " + hits_metric_ + ", " + misses_metric_ + ", " +
                        size_metric_ + ", " + evictions_metric_ + " in the response";
      if (!parsed.first_error.empty())
        why += " (" + std::to_string(parsed.skipped_lines) + " malformed lines; " +
               parsed.first_error + ")";
      throw ReadError(why, "error: cache series missing");
    }
    return r;
  }

 private:
  static std::string status_of(const HttpError& e) {
    std::string why = e.what();
    const size_t sep = why.find(": ");
    if (sep != std::string::npos) why = why.substr(sep + 2);
    switch (e.kind()) {
      case HttpError::Kind::kTimeout:
        return "down: " + why;
      case HttpError::Kind::kConnect:
        return "down: " + why;
      case HttpError::Kind::kTls:
        return "tls: " + why;
      default:
        return "error: " + why;
    }
  }

  // Sum over every label set, so a cache exported per shard or per pod reads as one cache.
  static double total(const PromParseResult& parsed, const std::string& name) {
    return sum_samples(parsed, name).value_or(kNaN);
  }

  std::string url_;
  std::string hits_metric_, misses_metric_, size_metric_, evictions_metric_;
  HttpOptions http_;
};

}  // namespace

std::unique_ptr<Source> make_prometheus_source(Options& o, std::chrono::milliseconds budget) {
  return std::make_unique<PrometheusSource>(o, budget);
}

}  // namespace resync::plugin::cache

// SPDX-License-Identifier: MIT
// The `api` collector: request rate, error rate and response times of an HTTP service, read
// from its Prometheus /metrics (source: prometheus) or from its access log (source: access_log).

#include <cmath>
#include <memory>
#include <string>

#include "access_log.hpp"
#include "api_stats.hpp"
#include "resync/plugin/http.hpp"
#include "resync/plugin/plugin.hpp"
#include "resync/plugin/prom_text.hpp"
#include "resync/util/rate.hpp"

namespace resync::plugin {
namespace {

using api::ApiValues;
using Clock = std::chrono::steady_clock;

constexpr resync_series_desc kSeries[] = {
    {"requests_total", RESYNC_UNIT_COUNT, RESYNC_KIND_COUNTER,
     "Requests served by the API since it started.", "api.requests_total", nullptr, 0},
    {"requests_per_sec", RESYNC_UNIT_PER_SECOND, RESYNC_KIND_GAUGE,
     "API requests per second over the last interval.", "api.requests_per_sec",
     "api.requests_per_sec", RESYNC_SERIES_TREND},
    {"error_count", RESYNC_UNIT_COUNT, RESYNC_KIND_COUNTER,
     "API responses with status 5xx since it started.", "api.error_count", nullptr, 0},
    {"error_rate", RESYNC_UNIT_PERCENT, RESYNC_KIND_GAUGE,
     "Share of API responses with status 5xx over the last interval.", "api.error_rate",
     "api.error_rate", 0},
    {"response_time_p50", RESYNC_UNIT_MILLISECONDS, RESYNC_KIND_GAUGE,
     "Median API response time over the last interval.", "api.response_time_p50",
     "api.response_time_p50", 0},
    {"response_time_p95", RESYNC_UNIT_MILLISECONDS, RESYNC_KIND_GAUGE,
     "95th percentile API response time over the last interval.", "api.response_time_p95",
     "api.response_time_p95", 0},
    {"response_time_avg", RESYNC_UNIT_MILLISECONDS, RESYNC_KIND_GAUGE,
     "Mean API response time over the last interval.", "api.response_time_avg", nullptr, 0},
};

// The original dashboard's thresholds, calm (see DefaultRule::calm()) and with clear levels below
// them, so an error rate wandering between 0 and 18 % is one episode, not a dozen in 30 s.
const resync_alert_rule kRules[] = {
    DefaultRule("error_rate")
        .warning(RESYNC_CMP_ABOVE, 5, 3)
        .critical(RESYNC_CMP_AT_LEAST, 10, 8)
        .calm()
        .rule(),
    DefaultRule("response_time_p95")
        .warning(RESYNC_CMP_ABOVE, 500, 400)
        .critical(RESYNC_CMP_AT_LEAST, 1000, 800)
        .calm()
        .rule(),
};

// How the dashboard and the report show these series: the cards and charts of the original
// Resync dashboard.
constexpr resync_series_hint kHints[] = {
    {"requests_per_sec", "Requests", "req/s", "Requests", RESYNC_HINT_HEADLINE},
    {"requests_total", "Requests", "total", nullptr, RESYNC_HINT_NO_CHART},
    {"error_rate", "Error rate", "error rate", "Error rate", RESYNC_HINT_HEADLINE},
    {"error_count", "Error rate", "errors", nullptr, RESYNC_HINT_NO_CHART},
    {"response_time_p50", "Latency", "p50", "Latency", RESYNC_HINT_HEADLINE},
    {"response_time_p95", "Latency", "p95", "Latency", RESYNC_HINT_HEADLINE},
    {"response_time_avg", "Latency", "average", nullptr, RESYNC_HINT_NO_CHART},
};
constexpr resync_presentation kPresentation = {
    sizeof(resync_presentation), nullptr, 10, kHints, std::size(kHints),
    sizeof(resync_series_hint)};

// Up to this many request times per interval are kept (8 bytes each); beyond it the
// percentiles come from a uniform sample of them (see api::Reservoir).
constexpr size_t kMaxDurationSamples = 100'000;

// The collector's own work (parsing, emitting) must also fit in the host's deadline, so the
// slow part, the I/O, gets most of it but not all.
std::chrono::milliseconds io_budget(const Options& o) { return o.timeout() * 9 / 10; }

// The URL as shown in messages, without user info.
double unit_to_ms(Options& o, const std::string& key, const std::string& fallback) {
  const std::string unit = o.get_choice(key, fallback, {"s", "ms", "us"});
  return unit == "s" ? 1000.0 : unit == "ms" ? 1.0 : 0.001;
}

class Source {
 public:
  virtual ~Source() = default;
  /// One sample's values; throws when the target cannot be read. Sets `status`.
  virtual ApiValues collect(std::string& status) = 0;
};

class PrometheusSource final : public Source {
 public:
  explicit PrometheusSource(Options& o) : url_(require_url(o)), state_(names(o)) {
    shown_ = display_url(url_);
    http_.timeout = io_budget(o);
    http_.bearer_token = o.get_string("token");
    read_tls_options(o, http_, url_);
  }

  ApiValues collect(std::string& status) override {
    const HttpResponse response = http_get(url_, http_);
    const Clock::time_point now = Clock::now();
    if (response.status < 200 || response.status > 299) {
      throw std::runtime_error("GET " + shown_ + ": HTTP " + std::to_string(response.status) + " " +
                               response.reason);
    }
    const PromParseResult scrape = parse_prometheus_text(response.body);
    if (scrape.samples.empty() && scrape.skipped_lines > 0) {
      throw std::runtime_error("GET " + shown_ + ": not Prometheus text format (" +
                               scrape.first_error + ")");
    }
    const ApiValues values = state_.update(scrape, now);
    status = "ok";
    if (!state_.note().empty()) status += "; " + state_.note();
    if (scrape.skipped_lines > 0) {
      status += "; " + std::to_string(scrape.skipped_lines) + " malformed lines skipped (" +
                scrape.first_error + ")";
    }
    return values;
  }

 private:
  static api::PromApiNames names(Options& o) {
    api::PromApiNames n;
    n.requests_metric = o.get_string("requests_metric", n.requests_metric);
    n.status_label = o.get_string("status_label");
    n.duration_metric = o.get_string("duration_metric", n.duration_metric);
    n.duration_to_ms = unit_to_ms(o, "duration_unit", "s");
    if (n.requests_metric.empty()) throw OptionError("requests_metric", "must not be empty");
    if (n.duration_metric.empty()) throw OptionError("duration_metric", "must not be empty");
    return n;
  }

  std::string url_;
  std::string shown_;
  HttpOptions http_;
  api::PromApiState state_;
};

class AccessLogSource final : public Source {
 public:
  explicit AccessLogSource(Options& o)
      : path_(o.require_string("path")),
        to_ms_(unit_to_ms(o, "time_unit", "s")),
        budget_(io_budget(o)),
        follower_(path_),
        durations_(kMaxDurationSamples),
        last_(Clock::now()) {}

  ApiValues collect(std::string& status) override {
    const Clock::time_point started = Clock::now();
    size_t lines = 0, errors = 0, malformed = 0, timed = 0;
    double sum_ms = 0;
    follower_.poll(
        [&](std::string_view line) {
          const std::optional<api::AccessLogEntry> entry = api::parse_access_log_line(line);
          if (!entry) {
            ++malformed;
            return;
          }
          ++lines;
          if (entry->status >= 500) ++errors;
          if (!std::isnan(entry->request_time)) {
            const double ms = entry->request_time * to_ms_;
            sum_ms += ms;
            ++timed;
            durations_.add(ms);
          }
        },
        started + budget_);
    const Clock::time_point now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    requests_total_ += static_cast<double>(lines);
    error_count_ += static_cast<double>(errors);
    malformed_total_ += malformed;

    ApiValues v;
    v.requests_total = requests_total_;
    v.error_count = error_count_;
    v.requests_per_sec = per_second(static_cast<double>(lines), elapsed);
    // No request in the interval is no news about errors: NaN, never 0 %.
    v.error_rate =
        lines > 0 ? 100.0 * static_cast<double>(errors) / static_cast<double>(lines) : api::kNaN;
    const size_t offered = durations_.offered();
    std::vector<double> sample = durations_.take();
    v.response_time_p50 = api::nearest_rank_quantile(sample, 0.50);
    v.response_time_p95 = api::nearest_rank_quantile(sample, 0.95);
    v.response_time_avg = timed > 0 ? sum_ms / static_cast<double>(timed) : api::kNaN;

    status = "ok";
    if (lines > 0 && timed == 0) status += "; no request time in the last field of the lines";
    if (offered > sample.size()) {
      status += "; p50/p95 from a sample of " + std::to_string(sample.size()) + " of " +
                std::to_string(offered) + " requests";
    }
    if (malformed_total_ > 0)
      status += "; " + std::to_string(malformed_total_) + " lines not in combined format";
    if (follower_.rotations() > 0)
      status += "; rotated " + std::to_string(follower_.rotations()) + "x";
    if (follower_.truncations() > 0)
      status += "; truncated " + std::to_string(follower_.truncations()) + "x";
    return v;
  }

 private:
  std::string path_;
  double to_ms_;
  std::chrono::milliseconds budget_;
  api::LogFollower follower_;
  api::Reservoir durations_;
  Clock::time_point last_;
  double requests_total_ = 0;
  double error_count_ = 0;
  size_t malformed_total_ = 0;
};

class ApiCollector final : public CollectorBase {
 public:
  explicit ApiCollector(Options& o) {
    const std::string source = o.get_choice("source", "prometheus", {"prometheus", "access_log"});
    if (source == "prometheus") {
      source_ = std::make_unique<PrometheusSource>(o);
    } else {
      source_ = std::make_unique<AccessLogSource>(o);
    }
  }

  void collect(const Emitter& emit) override {
    std::string status;
    ApiValues v;
    try {
      v = source_->collect(status);
    } catch (const std::exception& e) {
      set_status(std::string("down: ") + e.what());
      throw;
    }
    set_status(std::move(status));
    emit("requests_total", v.requests_total);
    emit("requests_per_sec", v.requests_per_sec);
    emit("error_count", v.error_count);
    emit("error_rate", v.error_rate);
    emit("response_time_p50", v.response_time_p50);
    emit("response_time_p95", v.response_time_p95);
    emit("response_time_avg", v.response_time_avg);
  }

 private:
  std::unique_ptr<Source> source_;
};

}  // namespace
}  // namespace resync::plugin

RESYNC_DEFINE_PLUGIN_WITH_HINTS_AND_RULES(
    resync::plugin::ApiCollector, "api",
    "HTTP API requests/s, error rate and p50/p95/avg response time from "
    "Prometheus /metrics or an access log",
    resync::plugin::kSeries, nullptr, resync::plugin::kPresentation, resync::plugin::kRules)

// SPDX-License-Identifier: MIT
#include "resync/catalog.hpp"

#include <array>

namespace resync {
namespace {

using T = MetricType;

constexpr std::array kCatalog = {
    MetricInfo{"requests_total", "api", "", T::kCounter, "Requests served by the API since it started."},
    MetricInfo{"requests_per_sec", "api", "1/s", T::kGauge, "API requests per second over the last interval."},
    MetricInfo{"error_count", "api", "", T::kCounter, "API responses with status 5xx since it started."},
    MetricInfo{"error_rate", "api", "%", T::kGauge, "Share of API responses with status 5xx over the last interval."},
    MetricInfo{"response_time_p50", "api", "ms", T::kGauge, "Median API response time over the last interval."},
    MetricInfo{"response_time_p95", "api", "ms", T::kGauge, "95th percentile API response time over the last interval."},
    MetricInfo{"response_time_avg", "api", "ms", T::kGauge, "Mean API response time over the last interval."},
    MetricInfo{"cache_hits", "cache", "", T::kCounter, "Cache lookups that found their key."},
    MetricInfo{"cache_misses", "cache", "", T::kCounter, "Cache lookups that did not find their key."},
    MetricInfo{"cache_hit_ratio", "cache", "%", T::kGauge, "Share of cache lookups that hit over the last interval."},
    MetricInfo{"cache_size", "cache", "", T::kGauge, "Keys held by the cache."},
    MetricInfo{"cache_evictions", "cache", "", T::kCounter, "Keys evicted by the cache to stay within its memory limit."},
    MetricInfo{"agents_active", "agents", "", T::kGauge, "Agents currently active."},
    MetricInfo{"agents_created", "agents", "", T::kCounter, "Agents created since start."},
    MetricInfo{"agents_failed", "agents", "", T::kCounter, "Agent creations that failed since start."},
    MetricInfo{"llm_requests", "agents", "", T::kCounter, "LLM requests made since start."},
    MetricInfo{"llm_tokens_used", "agents", "", T::kCounter, "LLM tokens used since start."},
    MetricInfo{"llm_errors", "agents", "", T::kCounter, "LLM requests that failed since start."},
    MetricInfo{"tws_connected", "tws", "", T::kGauge, "1 when the HCL Workload Automation engine answered the probe, else 0."},
    MetricInfo{"tws_latency_ms", "tws", "ms", T::kGauge, "Round trip of the engine probe."},
    MetricInfo{"tws_requests_success", "tws", "", T::kCounter, "Engine probes that succeeded since resync-mon started."},
    MetricInfo{"tws_requests_failed", "tws", "", T::kCounter, "Engine probes that failed since resync-mon started."},
    MetricInfo{"tws_jobs_error", "tws", "", T::kGauge, "Jobs in the plan in ABEND, ABENP, FAIL, ERROR or STUCK."},
    MetricInfo{"tws_jobs_running", "tws", "", T::kGauge, "Jobs in the plan in EXEC or STARTED."},
    MetricInfo{"tws_jobs_waiting", "tws", "", T::kGauge, "Jobs in the plan in HOLD, READY, WAIT, INTRO or PEND."},
    MetricInfo{"tws_jobs_done", "tws", "", T::kGauge, "Jobs in the plan in SUCC or SUCCP."},
    MetricInfo{"system_uptime", "system", "s", T::kGauge, "Seconds since the host booted."},
    MetricInfo{"system_availability", "system", "%", T::kGauge, "Share of successful health probes (or collector runs) over the window."},
    MetricInfo{"async_operations_active", "system", "", T::kGauge, "Collector runs in flight when the sample was taken."},
    MetricInfo{"host_cpu_percent", "system", "%", T::kGauge, "Host CPU busy time over the last interval."},
    MetricInfo{"host_memory_percent", "system", "%", T::kGauge, "Host memory in use (total minus available)."},
    MetricInfo{"host_load1", "system", "", T::kGauge, "Host one-minute load average."},
    MetricInfo{"process_rss_bytes", "system", "bytes", T::kGauge, "Resident memory of the resync-mon process."},
    MetricInfo{kCollectorUp, "", "", T::kGauge, "1 when the collector's last run succeeded within its deadline, else 0."},
    MetricInfo{kCollectorDuration, "", "ms", T::kGauge, "Duration of the collector's last run."},
};

}  // namespace

const MetricInfo* find_metric(std::string_view name) {
  for (const MetricInfo& m : kCatalog) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const MetricInfo* Catalog::begin() const { return kCatalog.data(); }
const MetricInfo* Catalog::end() const { return kCatalog.data() + kCatalog.size(); }

}  // namespace resync

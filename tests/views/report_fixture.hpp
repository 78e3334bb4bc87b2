// SPDX-License-Identifier: MIT
#pragma once

#include <cmath>
#include <memory>
#include <string>

#include "resync/config.hpp"
#include "resync/monitor.hpp"
#include "scripted_collector.hpp"

namespace resync::test {

/// A full 2 h window at 5 s (1,440 rows, plus a few that wrapped out) of every series of the
/// bundled plugins, with their real descriptions, and the episodes a report must not smooth away.
struct ReportFixture {
  static constexpr int64_t kT0 = 1'700'000'000'000;  // first sample, epoch ms
  static constexpr int64_t kIntervalMs = 5000;
  static constexpr int kSamples = 1450;   // 10 more than the window holds
  static constexpr int kSpikeCall = 800;  // requests_per_sec is 5,000 for one sample
  static constexpr int kGapFirst = 900, kGapLast = 1000;         // tws_latency_ms missing, TWS down
  static constexpr int kErrorsFirst = 1100, kErrorsLast = 1130;  // error_rate 12 %: an alert
  static constexpr int kSlowFrom = 1440;  // p95 above 500 ms to the end: still active
  static constexpr double kSpike = 5000;

  /// Value of `metric` on the 1-based collection `call`.
  static double value(const std::string& metric, int call) {
    const double wave = 1.0 + 0.1 * std::sin(double(call) / 30);
    const bool gap = call >= kGapFirst && call <= kGapLast;
    if (metric == "requests_per_sec") return call == kSpikeCall ? kSpike : 120 * wave;
    if (metric == "error_rate")
      return call >= kErrorsFirst && call <= kErrorsLast ? 12.0 : 0.8 * wave;
    if (metric == "response_time_p95") return call >= kSlowFrom ? 640 : 180 * wave;
    if (metric == "response_time_p50") return 45 * wave;
    if (metric == "cache_hit_ratio") return std::min(100.0, 92 * wave);
    if (metric == "tws_connected") return gap ? 0 : 1;
    if (metric == "tws_latency_ms") return gap ? std::nan("") : 35 * wave;
    if (metric == "host_cpu_percent") return 30 * wave;
    if (metric == "host_memory_percent") return 61 * wave;
    if (metric == "process_rss_bytes") return 14.5 * 1024 * 1024;
    if (metric == "system_uptime") return 86400.0 * 3 + 5.0 * call;
    if (metric.find("jobs") != std::string::npos) return std::floor(20 * wave);
    if (metric.find("total") != std::string::npos || metric.find("hits") != std::string::npos ||
        metric.find("misses") != std::string::npos || metric.find("created") != std::string::npos ||
        metric.find("count") != std::string::npos || metric.find("llm") != std::string::npos ||
        metric.find("success") != std::string::npos || metric.find("failed") != std::string::npos) {
      return 1000.0 + 37.0 * call;
    }
    return 50 * wave;
  }

  /// The monitor, sampled; its snapshot is the report's input.
  static std::unique_ptr<Monitor> monitor() {
    auto ready = all_plugins(value);
    auto m = std::make_unique<Monitor>(
        parse_config("interval: 5s\nwindow: 2h\n", ConfigFormat::kYaml, "fixture"),
        std::move(ready.instances), std::move(ready.collectors));
    for (int k = 0; k < kSamples; ++k) m->sample_now(kT0 + int64_t(k) * kIntervalMs);
    return m;
  }

  /// Epoch ms of the newest sample.
  static constexpr int64_t last_ms() { return kT0 + int64_t(kSamples - 1) * kIntervalMs; }
  /// Epoch ms of the sample of `call`.
  static constexpr int64_t call_ms(int call) { return kT0 + int64_t(call - 1) * kIntervalMs; }

  /// A snapshot as of two seconds after the newest sample, three days after start.
  static MonitorSnapshot snapshot(const Monitor& m, size_t rows = SIZE_MAX) {
    MonitorSnapshot s = m.snapshot(rows);
    s.taken_at_ms = last_ms() + 2000;
    s.started_at_ms = s.taken_at_ms - (3 * 86400 + 3600) * 1000LL;
    return s;
  }
};

}  // namespace resync::test

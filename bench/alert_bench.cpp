// SPDX-License-Identifier: MIT
// Rule evaluation per sample: 100 rules of every kind (plain thresholds, for, clear,
// keep_firing_for, flapping, absent_for, guards and their combinations), each on one instance's
// series, fed values that cross their thresholds now and then and go missing at times. Goal:
// under 20 µs per sample.
#include <benchmark/benchmark.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "resync/alert_engine.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;

constexpr int kInstances = 10;
constexpr int kMetrics = 10;  // per instance; the last one is a counter for the guards
constexpr int kRules = 100;
constexpr int kRows = 4096;
constexpr int64_t kIntervalMs = 5000;

SeriesLayout layout() {
  SeriesLayout l;
  for (int i = 0; i < kInstances; ++i) {
    for (int m = 0; m < kMetrics; ++m)
      l.add({"m" + std::to_string(m), "i" + std::to_string(i), "bench"});
  }
  return l;
}

// Rule k watches metric k % 9 of instance k / 10 with the k % 10-th combination of fields.
std::vector<AlertRule> rules() {
  std::vector<AlertRule> out;
  for (int k = 0; k < kRules; ++k) {
    AlertRule r;
    r.metric = "m" + std::to_string(k % (kMetrics - 1));
    r.instance = "i" + std::to_string(k / kMetrics);
    r.name = "rule_" + std::to_string(k);
    r.conditions = {{Severity::kWarning, Comparison::kAbove, 60},
                    {Severity::kCritical, Comparison::kAtLeast, 85}};
    switch (k % 10) {
      case 0:
        break;
      case 1:
        r.for_duration = 30s;
        break;
      case 2:
        r.clear = {50.0, 75.0};
        break;
      case 3:
        r.keep_firing_for = 1min;
        break;
      case 4:
        r.flapping = FlapDetection{};
        break;
      case 5:
        r.absent_for = 1min;
        break;
      case 6:
        r.guard = AlertGuard{{"m9"}, 10};
        break;
      case 7:
        r.for_duration = 30s;
        r.clear = {50.0, 75.0};
        r.keep_firing_for = 1min;
        break;
      case 8:
        r.flapping = FlapDetection{};
        r.clear[0] = 50;
        break;
      case 9:
        r.for_duration = 10s;
        r.clear = {50.0, 75.0};
        r.keep_firing_for = 30s;
        r.flapping = FlapDetection{};
        r.absent_for = 2min;
        break;
    }
    out.push_back(std::move(r));
  }
  return out;
}

// Waves around the thresholds, a growing counter, and missing values. `period` sets how often
// a value crosses a threshold: about every 5 minutes at a 5 s interval in the steady case, every
// few samples in the stormy one.
std::vector<std::vector<double>> rows(double period, int missing_one_in) {
  std::vector<std::vector<double>> out(kRows, std::vector<double>(kInstances * kMetrics));
  for (int k = 0; k < kRows; ++k) {
    for (int c = 0; c < kInstances * kMetrics; ++c) {
      double v = 60 + 30 * std::sin(double(k) / (period + c % 17) + c);
      if (c % kMetrics == kMetrics - 1) v = 100.0 * k + c;
      if ((k * 7 + c * 13) % missing_one_in == 0) v = std::numeric_limits<double>::quiet_NaN();
      out[size_t(k)][size_t(c)] = v;
    }
  }
  return out;
}

void evaluate_all(benchmark::State& state, const std::vector<std::vector<double>>& data) {
  const SeriesLayout l = layout();
  AlertEngine engine(rules(), l);
  int64_t k = 0;
  size_t events = 0;
  for (auto _ : state) {
    const size_t i = size_t(k % kRows);
    const double* previous = i == 0 ? nullptr : data[i - 1].data();
    events += engine.evaluate(k * kIntervalMs, data[i].data(), previous).size();
    ++k;
  }
  state.counters["events_per_sample"] = benchmark::Counter(double(events) / double(k));
  state.counters["rules"] = kRules;
}

// The goal: every rule evaluated on every sample, values behaving like real series.
void BM_EvaluateHundredRules(benchmark::State& state) { evaluate_all(state, rows(20, 200)); }
BENCHMARK(BM_EvaluateHundredRules)->Unit(benchmark::kMicrosecond);

// The worst case: most rules change state every few samples (each transition formats a message
// and records an event).
void BM_EvaluateHundredRulesStormy(benchmark::State& state) { evaluate_all(state, rows(1, 40)); }
BENCHMARK(BM_EvaluateHundredRulesStormy)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace resync

BENCHMARK_MAIN();

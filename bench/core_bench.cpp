// SPDX-License-Identifier: MIT
// The core work of one sample at its full size: a 2 h window at 5 s (1,440 rows) holding every
// series of the five built-in plugins, one instance each (43 columns). Collectors here are
// in-process stand-ins; what is measured is the store, the alert engine and the views.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "plugin_host.hpp"
#include "resync/alert_engine.hpp"
#include "resync/config.hpp"
#include "resync/monitor.hpp"
#include "resync/ring_buffer.hpp"
#include "resync/state_journal.hpp"
#include "resync/views/json.hpp"
#include "resync/views/presentation.hpp"
#include "resync/views/prometheus_text.hpp"

namespace resync {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kIntervalMs = 5000;
constexpr const char* kPlugins[] = {"api", "cache", "agents", "tws", "system"};

// Plausible values that trip no default alert rule, varying with the sample number.
double value_of(std::string_view metric, int64_t k) {
  const double wave = 1.0 + 0.1 * std::sin(double(k) / 20);
  if (metric == "error_rate") return 1.5 * wave;
  if (metric == "cache_hit_ratio") return 92 * wave > 100 ? 100 : 92 * wave;
  if (metric == "response_time_p95") return 180 * wave;
  if (metric == "tws_connected" || metric == "collector_up") return 1;
  if (metric.find("total") != std::string_view::npos ||
      metric.find("hits") != std::string_view::npos ||
      metric.find("misses") != std::string_view::npos ||
      metric.find("created") != std::string_view::npos) {
    return 1000.0 + 37.0 * double(k);
  }
  return 50 * wave;
}

// Emits every catalog series of its plugin, like the real collector would.
class StandIn final : public Collector {
 public:
  explicit StandIn(std::vector<std::string> series) : series_(std::move(series)) {}
  void collect(SampleSink& sink) override {
    ++k_;
    for (const std::string& s : series_) sink.emit(s, value_of(s, k_));
  }

 private:
  std::vector<std::string> series_;
  int64_t k_ = 0;
};

// A Monitor of the five plugins' series whose store holds the full window.
std::unique_ptr<Monitor> full_monitor() {
  std::vector<InstanceInfo> instances;
  std::vector<std::unique_ptr<Collector>> collectors;
  for (const char* plugin : kPlugins) {
    // The real plugins' own descriptions, through the real loader.
    const auto loaded = Plugin::load(std::string(RESYNC_PLUGIN_BUILD_DIR) + "/" + plugin + ".so");
    std::vector<std::string> series;
    for (const SeriesDescription& d : loaded->series()) series.push_back(d.name);
    instances.push_back({plugin, plugin, loaded->series(), loaded->info().status_field});
    collectors.push_back(std::make_unique<StandIn>(series));
  }
  auto monitor = std::make_unique<Monitor>(
      parse_config("interval: 5s\nwindow: 2h\n", ConfigFormat::kYaml, "bench"),
      std::move(instances), std::move(collectors));
  for (size_t k = 0; k < monitor->store().capacity(); ++k)
    monitor->sample_now(kT0 + int64_t(k) * kIntervalMs);
  return monitor;
}

const Monitor& shared_monitor() {
  static const std::unique_ptr<Monitor> monitor = full_monitor();
  return *monitor;
}

std::vector<double> row_of(const SeriesLayout& layout, int64_t k) {
  std::vector<double> row(layout.size());
  for (size_t c = 0; c < layout.size(); ++c) row[c] = value_of(layout.key(c).metric, k);
  return row;
}

// A store of the monitor's shape, already full, so every append overwrites the oldest row.
std::unique_ptr<RingBuffer> full_store(const SeriesLayout& layout, size_t capacity) {
  auto store = std::make_unique<RingBuffer>(layout.size(), capacity);
  for (size_t k = 0; k < capacity; ++k)
    store->append(kT0 + int64_t(k) * kIntervalMs, row_of(layout, int64_t(k)));
  return store;
}

void BM_AppendFullWindow(benchmark::State& state) {
  const Monitor& m = shared_monitor();
  auto store = full_store(m.layout(), m.store().capacity());
  const auto row = row_of(m.layout(), 7);
  int64_t t = kT0 + 1'000'000'000;
  for (auto _ : state) store->append(t += kIntervalMs, row);
  state.counters["series"] = double(m.layout().size());
  state.counters["rows"] = double(store->size());
}
BENCHMARK(BM_AppendFullWindow);

void BM_SnapshotFullWindow(benchmark::State& state) {
  const RingBuffer& store = shared_monitor().store();
  for (auto _ : state) benchmark::DoNotOptimize(store.snapshot());
}
BENCHMARK(BM_SnapshotFullWindow);

void BM_AlertEvaluateDefaultRules(benchmark::State& state) {
  const Monitor& m = shared_monitor();
  AlertEngine alerts(m.rules(), m.layout());
  const auto previous = row_of(m.layout(), 7), row = row_of(m.layout(), 8);
  int64_t t = kT0;
  for (auto _ : state)
    benchmark::DoNotOptimize(alerts.evaluate(t += kIntervalMs, row.data(), previous.data()));
}
BENCHMARK(BM_AlertEvaluateDefaultRules);

void BM_RenderCurrent(benchmark::State& state) {
  const Monitor& m = shared_monitor();
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string doc =
        views::render_current(m.snapshot(views::current_rows(m.config().interval)));
    bytes = doc.size();
    benchmark::DoNotOptimize(doc.data());
  }
  state.counters["bytes"] = double(bytes);
}
BENCHMARK(BM_RenderCurrent);

// The presentation model: rendered once per sample at most, and only when the dashboard asks.
void BM_RenderLayout(benchmark::State& state) {
  const Monitor& m = shared_monitor();
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string doc = views::render_layout(m.snapshot(0));
    bytes = doc.size();
    benchmark::DoNotOptimize(doc.data());
  }
  state.counters["bytes"] = double(bytes);
}
BENCHMARK(BM_RenderLayout);

void BM_RenderHistoryFullWindow(benchmark::State& state) {
  const Monitor& m = shared_monitor();
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string doc = views::render_history(m.snapshot());
    bytes = doc.size();
    benchmark::DoNotOptimize(doc.data());
  }
  state.counters["bytes"] = double(bytes);
}
BENCHMARK(BM_RenderHistoryFullWindow);

void BM_RenderMetrics(benchmark::State& state) {
  const Monitor& m = shared_monitor();
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string text = views::render_prometheus(m.snapshot(1));
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["bytes"] = double(bytes);
}
BENCHMARK(BM_RenderMetrics);

// The goal of issue 2: what the core does with each sample once the collectors have answered.
// Append and alerts run on a store and engine of the monitor's exact shape (the Monitor writes
// its own only from the sampler); /current is rendered from the full monitor.
void BM_OneSampleOfCoreWork(benchmark::State& state) {
  const Monitor& m = shared_monitor();
  auto store = full_store(m.layout(), m.store().capacity());
  AlertEngine alerts(m.rules(), m.layout());
  auto previous = row_of(m.layout(), 7), row = row_of(m.layout(), 8);
  int64_t t = kT0 + 1'000'000'000;
  for (auto _ : state) {
    t += kIntervalMs;
    store->append(t, row);
    benchmark::DoNotOptimize(alerts.evaluate(t, row.data(), previous.data()));
    const std::string doc =
        views::render_current(m.snapshot(views::current_rows(m.config().interval)));
    benchmark::DoNotOptimize(doc.data());
  }
}
BENCHMARK(BM_OneSampleOfCoreWork);

// For comparison, a whole Monitor::sample_now(): the same work plus handing each of the five
// collectors to its worker thread and waiting for the answers (no /current rendering).
void BM_MonitorSampleNow(benchmark::State& state) {
  static const std::unique_ptr<Monitor> m = full_monitor();
  int64_t t = kT0 + 1'000'000'000;
  for (auto _ : state) m->sample_now(t += kIntervalMs);
}
BENCHMARK(BM_MonitorSampleNow)->UseRealTime();

// The state journal's cost per sample: one CRC-checked record of every column, one write() to the
// page cache (no fsync). Restarted every 20,000 records, as a save would, to keep the file small.
void BM_JournalAppend(benchmark::State& state) {
  const Monitor& m = shared_monitor();
  char folder[] = "/tmp/resync-bench-XXXXXX";
  if (!::mkdtemp(folder)) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const std::string path = std::string(folder) + "/state.journal";
  std::vector<std::pair<std::string, std::string>> keys;
  for (const SeriesKey& k : m.layout().keys()) keys.emplace_back(k.metric, k.instance);
  StateJournal journal(path);
  const auto row = row_of(m.layout(), 8);
  int64_t t = kT0;
  int64_t n = 0;
  journal.reset(m.config().interval, keys, t);
  for (auto _ : state) {
    if (++n % 20'000 == 0) journal.reset(m.config().interval, keys, t);
    benchmark::DoNotOptimize(journal.append(t += kIntervalMs, row.data()));
  }
  journal.close();
  ::unlink(path.c_str());
  ::rmdir(folder);
  state.counters["columns"] = double(keys.size());
}
BENCHMARK(BM_JournalAppend)->UseRealTime();

}  // namespace
}  // namespace resync

BENCHMARK_MAIN();

// SPDX-License-Identifier: MIT
// The shell toolkit at full size: `history --format csv` of a 2 h window at 5 s (1,440 rows) of
// every series of the five built-in plugins, read from a real state file. Goal: >= 1 M values/s.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <ostream>
#include <streambuf>

#include "plugin_host.hpp"
#include "resync/monitor.hpp"
#include "resync/state_file.hpp"
#include "resync/views/history_export.hpp"
#include "source.hpp"

namespace resync {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

// Everything written is counted and dropped, as a terminal or a pipe would take it.
class NullBuffer : public std::streambuf {
 public:
  size_t bytes = 0;

 protected:
  std::streamsize xsputn(const char*, std::streamsize n) override {
    bytes += static_cast<size_t>(n);
    return n;
  }
  int overflow(int c) override {
    ++bytes;
    return c;
  }
};

// Values of every plausible magnitude, so the number formatting does real work.
class Waves final : public Collector {
 public:
  explicit Waves(std::vector<std::string> series) : series_(std::move(series)) {}
  void collect(SampleSink& sink) override {
    ++k_;
    for (size_t i = 0; i < series_.size(); ++i) {
      sink.emit(series_[i], (1.0 + 0.3 * std::sin(double(k_ + int64_t(i)) / 17)) *
                                std::pow(10.0, double(i % 7)));
    }
  }

 private:
  std::vector<std::string> series_;
  int64_t k_ = 0;
};

// The state file of a full 2 h window of the five plugins, written once per run.
const std::string& state_path() {
  static const std::string path = [] {
    std::vector<InstanceInfo> instances;
    std::vector<std::unique_ptr<Collector>> collectors;
    for (const char* plugin : {"api", "cache", "agents", "tws", "system"}) {
      const auto loaded = Plugin::load(std::string(RESYNC_PLUGIN_BUILD_DIR) + "/" + plugin + ".so");
      std::vector<std::string> series;
      for (const SeriesDescription& d : loaded->series()) series.push_back(d.name);
      instances.push_back({plugin, plugin, loaded->series(), loaded->info().status_field});
      collectors.push_back(std::make_unique<Waves>(series));
    }
    Monitor monitor(parse_config("interval: 5s\nwindow: 2h\n", ConfigFormat::kYaml, "bench"),
                    std::move(instances), std::move(collectors));
    for (size_t k = 0; k < monitor.store().capacity(); ++k)
      monitor.sample_now(kT0 + int64_t(k) * 5000);
    char dir[] = "/tmp/resync-bench-XXXXXX";
    const std::string p = std::string(::mkdtemp(dir)) + "/state";
    write_file_atomically(p, encode_state(monitor.snapshot()));
    return p;
  }();
  return path;
}

void report(benchmark::State& state, const MonitorSnapshot& snap, size_t bytes) {
  const double values = double(snap.store.rows * snap.store.series_count);
  state.counters["values_per_s"] =
      benchmark::Counter(values * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["series"] = double(snap.store.series_count);
  state.counters["rows"] = double(snap.store.rows);
  state.counters["bytes"] = double(bytes);
}

// What `resync-mon history --state FILE --format csv` does after start-up: read, check and
// decode the file, then write the CSV.
void BM_HistoryCsvFromStateFile(benchmark::State& state) {
  const std::string& path = state_path();
  MonitorSnapshot snap;
  size_t bytes = 0;
  for (auto _ : state) {
    snap = cli::read_state_source(path);
    NullBuffer sink;
    std::ostream out(&sink);
    views::render_history_csv(out, snap, {});
    bytes = sink.bytes;
  }
  report(state, snap, bytes);
}
BENCHMARK(BM_HistoryCsvFromStateFile)->Unit(benchmark::kMillisecond)->UseRealTime();

// The CSV writer alone, on the decoded snapshot.
void BM_HistoryCsvRender(benchmark::State& state) {
  const MonitorSnapshot snap = cli::read_state_source(state_path());
  size_t bytes = 0;
  for (auto _ : state) {
    NullBuffer sink;
    std::ostream out(&sink);
    views::render_history_csv(out, snap, {});
    bytes = sink.bytes;
  }
  report(state, snap, bytes);
}
BENCHMARK(BM_HistoryCsvRender)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_HistoryOpenMetricsRender(benchmark::State& state) {
  const MonitorSnapshot snap = cli::read_state_source(state_path());
  size_t bytes = 0;
  for (auto _ : state) {
    NullBuffer sink;
    std::ostream out(&sink);
    views::render_openmetrics(out, snap, {});
    bytes = sink.bytes;
  }
  report(state, snap, bytes);
}
BENCHMARK(BM_HistoryOpenMetricsRender)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace resync

BENCHMARK_MAIN();

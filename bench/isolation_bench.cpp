// SPDX-License-Identifier: MIT
// What isolation: process costs: one collect() of the real `system` plugin (reading the captured
// /proc of tests/data) in-process and through a collector-host child, and the resident memory of
// one child. bench/isolation prints the table.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

#include "plugin_host.hpp"
#include "process_collector.hpp"
#include "resync/config.hpp"
#include "resync/monitor.hpp"
#include "resync/signals.hpp"

namespace resync {
namespace {

class NullSink final : public SampleSink {
 public:
  void emit(std::string_view, double value) override { benchmark::DoNotOptimize(value); }
};

const std::string kPlugin = std::string(RESYNC_PLUGIN_BUILD_DIR) + "/system.so";
const std::string kConfig =
    std::string(R"({"name":"bench","proc_root":")") + RESYNC_TEST_DATA_DIR + R"(/proc"})";

// VmRSS of `pid` in kB, from /proc.
double rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      double kb = 0;
      in >> kb;
      return kb;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

void BM_CollectInProcess(benchmark::State& state) {
  PluginCollector collector(Plugin::load(kPlugin), kConfig);
  NullSink sink;
  for (auto _ : state) collector.collect(sink);
}
BENCHMARK(BM_CollectInProcess)->UseRealTime();

void BM_CollectIsolated(benchmark::State& state) {
  ProcessCollector collector(
      ProcessCollector::Options{RESYNC_BINARY, kPlugin, "system", "bench", kConfig});
  NullSink sink;
  for (auto _ : state) collector.collect(sink);
  state.counters["child_rss_kB"] = rss_kb(collector.pid());
  state.counters["parent_rss_kB"] = rss_kb(getpid());
}
BENCHMARK(BM_CollectIsolated)->UseRealTime();

// Start of a child and create() in it: what one restart costs.
void BM_StartChild(benchmark::State& state) {
  for (auto _ : state) {
    ProcessCollector collector(
        ProcessCollector::Options{RESYNC_BINARY, kPlugin, "system", "bench", kConfig});
    benchmark::DoNotOptimize(collector.pid());
  }
}
BENCHMARK(BM_StartChild)->UseRealTime()->Unit(benchmark::kMillisecond);

// One whole sampler tick with the in-process system plugin: dispatch, collect() on a collector
// thread started for the run (issue 17: none is kept while idle), the row, derived series.
void BM_SampleTick(benchmark::State& state) {
  Monitor monitor(parse_config(std::string("plugin_dir: ") + RESYNC_PLUGIN_BUILD_DIR +
                                   "\ninterval: 1s\nwindow: 1m\ncollectors:\n"
                                   "  - {plugin: system, proc_root: \"" RESYNC_TEST_DATA_DIR
                                   "/proc\"}\n",
                               ConfigFormat::kYaml, "bench.yaml"));
  int64_t grid_ms = 1000;
  for (auto _ : state) monitor.sample_now(grid_ms += 1000);
}
BENCHMARK(BM_SampleTick)->UseRealTime()->MeasureProcessCPUTime();

// What a collector thread started per run costs over one kept between runs: start, its
// alternate signal stack, end and join.
void BM_StartCollectorThread(benchmark::State& state) {
  for (auto _ : state) {
    std::thread([] {
      AltSignalStack stack;
      benchmark::ClobberMemory();
    }).join();
  }
}
BENCHMARK(BM_StartCollectorThread)->UseRealTime()->MeasureProcessCPUTime();

}  // namespace
}  // namespace resync

BENCHMARK_MAIN();

// SPDX-License-Identifier: MIT
// The static HTML report of a full window: 2 h at 5 s (1,440 rows) of every series of the five
// bundled plugins, with their real descriptions, a spike, a gap and three alerts (the fixture of
// tests/views/html_report_test.cpp). Goals (issue 8): at most 25 ms and 200 KB.
#include <benchmark/benchmark.h>

#include "report_fixture.hpp"
#include "resync/views/html_report.hpp"

namespace resync {
namespace {

const Monitor& shared_monitor() {
  static const std::unique_ptr<Monitor> monitor = test::ReportFixture::monitor();
  return *monitor;
}

// Rendering alone, from a snapshot already taken.
void BM_RenderReportFullWindow(benchmark::State& state) {
  const MonitorSnapshot snap = test::ReportFixture::snapshot(shared_monitor());
  views::ReportOptions o;
  o.minutes = 120;
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string page = views::render_report(snap, o);
    bytes = page.size();
    benchmark::DoNotOptimize(page.data());
  }
  state.counters["bytes"] = double(bytes);
  state.counters["rows"] = double(snap.store.rows);
  state.counters["series"] = double(snap.keys().size());
}
BENCHMARK(BM_RenderReportFullWindow)->Unit(benchmark::kMillisecond);

// What GET /api/monitoring/report does: copy the window out of the monitor, then render.
void BM_SnapshotAndRenderReport(benchmark::State& state) {
  const Monitor& m = shared_monitor();
  views::ReportOptions o;
  o.minutes = 120;
  for (auto _ : state) {
    const std::string page =
        views::render_report(m.snapshot(views::report_rows(m.config().interval, 120)), o);
    benchmark::DoNotOptimize(page.data());
  }
}
BENCHMARK(BM_SnapshotAndRenderReport)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace resync

BENCHMARK_MAIN();

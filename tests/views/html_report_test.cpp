// SPDX-License-Identifier: MIT
// The static HTML report, rendered from a monitor holding every bundled plugin's real series
// descriptions and a full 2 h window with a spike, a gap and alerts.
#include "resync/views/html_report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <regex>
#include <sstream>

#include "html_report_parts.hpp"
#include "report_fixture.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using test::ReportFixture;
using testing::HasSubstr;
using testing::Not;
using views::ReportOptions;

const Monitor& full_monitor() {
  static const std::unique_ptr<Monitor> m = ReportFixture::monitor();
  return *m;
}

std::string full_report(int minutes = 0) {
  ReportOptions o;
  o.title = "Fixture report";
  o.minutes = minutes;
  return views::render_report(ReportFixture::snapshot(full_monitor()), o);
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++n;
  return n;
}

// The <figure> whose caption starts with `caption`.
std::string figure(const std::string& html, const std::string& caption) {
  const size_t caption_at = html.find("<figcaption>" + caption);
  if (caption_at == std::string::npos) return "";
  const size_t at = html.rfind("<figure", caption_at);
  return html.substr(at, html.find("</figure>", at) - at);
}

// The d attribute of each line path of a chart, as (x, y) pairs per subpath.
std::vector<std::vector<std::pair<double, double>>> subpaths(const std::string& chart,
                                                             const std::string& cls) {
  std::vector<std::vector<std::pair<double, double>>> out;
  const std::regex path("<path class=\"line " + cls + "\" d=\"([^\"]*)\"");
  std::smatch m;
  if (!std::regex_search(chart, m, path)) return out;
  const std::string d = std::regex_replace(m[1].str(), std::regex("h0"), "");
  std::istringstream in(std::regex_replace(d, std::regex("M"), " M"));
  std::string token;
  while (in >> token) {
    if (token[0] == 'M') {
      out.emplace_back();
      token.erase(0, 1);
    }
    std::string y;
    in >> y;
    out.back().emplace_back(std::stod(token), std::stod(y));
  }
  return out;
}

// tidy -errors -q over `html`: its output (empty when there is no error or warning) and exit
// status.
std::pair<int, std::string> tidy(const std::string& html) {
  const auto program = test::find_program("tidy");
  if (!program)
    return {-1, "tidy is not installed (scripts/deps --test installs the Debian package)"};
  test::TempDir dir;
  const std::string file = dir.file("report.html");
  test::write_file(file, html);
  FILE* p = popen((*program + " -errors -q " + file + " 2>&1").c_str(), "r");
  std::string output;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) output.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(HtmlReportTest, ShowsEveryDashboardCardAndChart) {
  const std::string html = full_report();
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  for (const char* id : {"card-status", "card-api-requests", "card-api-error-rate",
                         "card-api-latency", "card-cache-cache", "card-agents-agents",
                         "card-tws-workload-automation", "card-system-host"}) {
    EXPECT_THAT(html, HasSubstr("id=\"" + std::string(id) + "\"")) << id;
  }
  EXPECT_THAT(html, Not(HasSubstr("not configured")));
  EXPECT_THAT(html, Not(HasSubstr("Not configured")));
  // The original dashboard's six charts, plus the counters and gauges the hints chart too.
  EXPECT_EQ(count(html, "<svg class=\"plot\""), 10u);
  for (const char* caption :
       {"Requests", "Error rate", "Latency", "Cache hit ratio", "Cache lookups", "Active agents",
        "LLM calls", "Workload Automation latency", "Jobs", "Host CPU / memory"}) {
    EXPECT_THAT(figure(html, caption), HasSubstr("<path class=\"line")) << caption;
  }
  // Units come from the descriptions: ms, %, /s and bytes humanized.
  EXPECT_THAT(figure(html, "Latency"), HasSubstr("<span class=\"unit\">ms</span>"));
  EXPECT_THAT(figure(html, "Requests"), HasSubstr("<span class=\"unit\">/s</span>"));
  EXPECT_THAT(html, HasSubstr("<dt>RSS</dt><dd>14.5 MiB</dd>"));
  // The monitor's uptime and the host's, labelled apart.
  EXPECT_THAT(html, HasSubstr("monitor up</dt><dd>3d 1h 0m</dd>"));
  EXPECT_THAT(html, HasSubstr("<dt>host uptime</dt><dd>3d 2h</dd>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"value\">connected</span>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"value status-warning\">warning</span>"));
  EXPECT_THAT(html, HasSubstr("<dt>samples</dt><dd>1,440 / 1,440</dd>"));
  // The TWS card has its job buckets, and the probe counters no dashboard card names.
  for (const char* dt :
       {"jobs in error", "running", "waiting", "done", "requests ok", "requests failed"}) {
    EXPECT_THAT(html, HasSubstr("<dt>" + std::string(dt) + "</dt>")) << dt;
  }
  // Nothing that could load anything, ever.
  for (const char* bad : {"<script", "src=", "url(", "http://", "https://", "@import", "@font-face",
                          "<link rel=\"st"}) {
    EXPECT_THAT(html, Not(HasSubstr(bad))) << bad;
  }
  // Light, dark and paper.
  EXPECT_THAT(html, HasSubstr("prefers-color-scheme: dark"));
  EXPECT_THAT(html, HasSubstr("@page { size: A4"));
  EXPECT_THAT(html, HasSubstr("break-inside: avoid"));
}

TEST(HtmlReportTest, SeriesTableHasEverySeriesWithMinAvgMaxLast) {
  const std::string html = full_report();
  const auto keys = full_monitor().snapshot(1).keys();
  for (const SeriesKey& k : keys)
    EXPECT_THAT(html, HasSubstr(">" + k.metric + "</td>")) << k.metric;
  EXPECT_EQ(count(html, "<tr class=\"group\">"), 5u);
  // The spike is the maximum; the gap shows as missing samples of the series.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(html, m, std::regex(">requests_per_sec</td>(.*?)</tr>")));
  EXPECT_THAT(m[1].str(), HasSubstr(">5,000 /s<"));
  ASSERT_TRUE(std::regex_search(html, m, std::regex(">tws_latency_ms</td>(.*?)</tr>")));
  EXPECT_THAT(m[1].str(), HasSubstr(">1,339 / 1,440<"));
  EXPECT_THAT(html, HasSubstr("title=\"Round trip of the engine probe.\""));
}

TEST(HtmlReportTest, ChartsKeepTheSpikeAndTheGap) {
  const std::string html = full_report();
  const auto requests = subpaths(figure(html, "Requests"), "s1");
  ASSERT_EQ(requests.size(), 1u);
  double top = 1e9;
  size_t n = 0, low = 0;
  for (const auto& [x, y] : requests[0]) {
    top = std::min(top, y);
    low += y > 120 ? 1 : 0;
    ++n;
  }
  // 1,440 samples on a plot a few hundred pixels wide: at most two points a column, and the
  // one-sample spike (40 times the usual value) still reaches near the top of the scale.
  EXPECT_LE(n, 2u * 420);
  EXPECT_GT(n, 300u);
  EXPECT_LT(top, 40);
  EXPECT_GE(low, n - 3);
  // The TWS latency has a hole of 101 samples: two subpaths, the second starting after it.
  const auto tws = subpaths(figure(html, "Workload Automation latency"), "s1");
  ASSERT_EQ(tws.size(), 2u);
  EXPECT_GT(tws[1].front().first - tws[0].back().first, 20);
}

TEST(HtmlReportTest, PassesTidyWithNoErrorOrWarning) {
  for (const int minutes : {0, 30}) {
    const auto [status, output] = tidy(full_report(minutes));
    EXPECT_EQ(status, 0) << output;
    EXPECT_EQ(output, "");
  }
}

TEST(HtmlReportTest, AlertsOfTheWindowShowStartAndEnd) {
  using views::detail::format_local;
  const std::string all = full_report();
  EXPECT_THAT(all, HasSubstr("3 in the window \u00b7 1 active"));
  // TWS went down for the gap: a critical alert from its first sample to the first one after it.
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(all, m, std::regex("<tr class=\"sev-critical\">.*?tws_connected.*?</tr>")));
  EXPECT_THAT(m[0].str(), HasSubstr(format_local(ReportFixture::call_ms(ReportFixture::kGapFirst),
                                                 "%H:%M:%S")));
  EXPECT_THAT(m[0].str(), HasSubstr(format_local(
                              ReportFixture::call_ms(ReportFixture::kGapLast + 1), "%H:%M:%S")));
  EXPECT_THAT(m[0].str(), HasSubstr(">8 min<"));
  // Slow responses since near the end: still active.
  ASSERT_TRUE(std::regex_search(
      all, m, std::regex("<tr class=\"sev-warning\">.*?response_time_p95.*?</tr>")));
  EXPECT_THAT(m[0].str(), HasSubstr("<span class=\"bad\">active</span>"));
  // The last 30 minutes hold the error-rate episode but not the TWS one.
  const std::string recent = full_report(30);
  EXPECT_THAT(recent, HasSubstr("error_rate"));
  EXPECT_THAT(recent, Not(HasSubstr("<div class=\"where\">tws_connected")));
  EXPECT_THAT(recent, HasSubstr("<dt>samples</dt><dd>360 / 1,440</dd>"));
}

TEST(HtmlReportTest, MinutesBeyondTheDataSaysWhatItCovers) {
  auto ready = test::all_plugins(ReportFixture::value);
  Monitor m(parse_config("interval: 5s\nwindow: 2h\n", ConfigFormat::kYaml, "t"),
            std::move(ready.instances), std::move(ready.collectors));
  for (int k = 0; k < 12; ++k) m.sample_now(ReportFixture::kT0 + k * 5000);
  ReportOptions o;
  o.minutes = 120;
  const std::string html = views::render_report(m.snapshot(), o);
  EXPECT_THAT(html, HasSubstr("Asked for 2 h; the source holds only 1 min."));
  EXPECT_THAT(html, HasSubstr("<b>12</b> samples every 5 s"));
  // Issue 15: the charts span the data, not the 2 h asked for.
  const std::string from = views::detail::format_local(ReportFixture::kT0, "%H:%M");
  const std::string to = views::detail::format_local(ReportFixture::kT0 + 11 * 5000, "%H:%M");
  EXPECT_THAT(figure(html, "Requests"), HasSubstr("from " + from + " to " + to + "\""));
  EXPECT_EQ(tidy(html).first, 0);
}

TEST(HtmlReportTest, EmptySourceGivesAValidPage) {
  auto ready = test::all_plugins(ReportFixture::value);
  Monitor m(parse_config("interval: 5s\n", ConfigFormat::kYaml, "t"), std::move(ready.instances),
            std::move(ready.collectors));
  const std::string html = views::render_report(m.snapshot(), {});
  EXPECT_THAT(html, HasSubstr("No sample in this window."));
  EXPECT_THAT(html, HasSubstr("status-initializing"));
  EXPECT_THAT(html, Not(HasSubstr("<path class=\"line")));
  const auto [status, output] = tidy(html);
  EXPECT_EQ(status, 0) << output;
  // A snapshot with no series at all (a foreign state file) too.
  const std::string bare = views::render_report(MonitorSnapshot{}, {});
  EXPECT_THAT(bare, HasSubstr("No series in the source"));
  EXPECT_EQ(tidy(bare).first, 0);
}

TEST(HtmlReportTest, EscapesTextFromTheSource) {
  MonitorSnapshot snap = ReportFixture::snapshot(full_monitor(), 10);
  snap.health[0].up = false;
  snap.health[0].last_error = "<b>bad</b> & \"worse\"\x01 \xff";
  ReportOptions o;
  o.title = "Ops <weekly> & co";
  o.source = "state file /tmp/<x>";
  const std::string html = views::render_report(snap, o);
  EXPECT_THAT(html, HasSubstr("&lt;b&gt;bad&lt;/b&gt; &amp; &quot;worse&quot;  \ufffd"));
  EXPECT_THAT(html, HasSubstr("<title>Ops &lt;weekly&gt; &amp; co</title>"));
  EXPECT_THAT(html, HasSubstr("state file /tmp/&lt;x&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<b>bad")));
  EXPECT_THAT(html, Not(HasSubstr("\xff")));
  EXPECT_EQ(tidy(html).first, 0);
}

TEST(HtmlReportTest, OddValuesNeverBreakThePage) {
  MonitorSnapshot snap = ReportFixture::snapshot(full_monitor(), 50);
  // Extremes in every column: the scales, ticks and numbers must still come out finite and valid.
  for (size_t c = 0; c < snap.store.series_count; ++c) {
    snap.store.values[c * snap.store.rows + 3] = 1e308;
    snap.store.values[c * snap.store.rows + 4] = -1e308;
    snap.store.values[c * snap.store.rows + 5] = INFINITY;
  }
  const std::string html = views::render_report(snap, {});
  EXPECT_THAT(html, Not(HasSubstr("nan")));
  EXPECT_THAT(html, Not(HasSubstr("inf\"")));
  EXPECT_THAT(html, HasSubstr(">1e+308 ms<"));  // the max of response_time_p50 in the table
  EXPECT_EQ(tidy(html).first, 0);
  // A store that disagrees with its series list renders as no data, not as a read past the columns.
  snap.store.series_count -= 1;
  const std::string broken = views::render_report(snap, {});
  EXPECT_THAT(broken, HasSubstr("No sample in this window."));
  EXPECT_EQ(tidy(broken).first, 0);
}

TEST(HtmlReportTest, AnotherPluginsSectionGetsACardAndAChart) {
  std::vector<InstanceInfo> instances{
      {"jobs",
       "queue",
       {{"queue_depth", Unit::kCount, Kind::kGauge, "Jobs queued.", "queue.depth", "queue.depth"},
        {"queue_age_ms", Unit::kMilliseconds, Kind::kGauge, "Oldest job's age.", "queue.oldest_age",
         "queue.oldest_age"}}}};
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(std::make_unique<test::ScriptedCollector>([](SampleSink& sink, int call) {
    sink.emit("queue_depth", call);
    sink.emit("queue_age_ms", 10.0 * call);
  }));
  Monitor m(parse_config("interval: 5s\n", ConfigFormat::kYaml, "t"), std::move(instances),
            std::move(collectors));
  for (int k = 0; k < 30; ++k) m.sample_now(ReportFixture::kT0 + k * 5000);
  const std::string html = views::render_report(m.snapshot(), {});
  EXPECT_THAT(html, HasSubstr("id=\"card-queue-queue\""));
  EXPECT_THAT(html, HasSubstr("<span class=\"value\">30</span>"));
  EXPECT_THAT(html, HasSubstr("<dt>oldest age</dt><dd>300 ms</dd>"));
  // A count and milliseconds never share an axis: one chart per unit, one line each.
  const std::string count_chart = figure(html, "Queue (count)");
  const std::string ms_chart = figure(html, "Queue (ms)");
  EXPECT_THAT(count_chart, HasSubstr("<path class=\"line s1\""));
  EXPECT_THAT(ms_chart, HasSubstr("<path class=\"line s1\""));
  EXPECT_THAT(count_chart + ms_chart, Not(HasSubstr("<path class=\"line s2\"")));
  // Plugins not configured get no card and no chart at all.
  EXPECT_THAT(html, Not(HasSubstr("not configured")));
  EXPECT_THAT(html, Not(HasSubstr("chart off")));
  EXPECT_EQ(count(html, "<article class=\"card\""), 2u);
}

// Issue 16: a system-only config printed seven empty "not configured" cards and five empty charts.
TEST(HtmlReportTest, SystemOnlyReportHasNoEmptyCardOrChart) {
  std::vector<InstanceInfo> instances{test::built_plugin_instance("system")};
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(std::make_unique<test::ScriptedCollector>([](SampleSink& sink, int call) {
    for (const char* s : {"host_cpu_percent", "host_memory_percent", "host_load1",
                          "process_rss_bytes", "system_uptime", "system_availability"})
      sink.emit(s, call);
  }));
  Monitor m(parse_config("interval: 5s\n", ConfigFormat::kYaml, "t"), std::move(instances),
            std::move(collectors));
  for (int k = 0; k < 20; ++k) m.sample_now(ReportFixture::kT0 + k * 5000);
  MonitorSnapshot snap = m.snapshot();
  snap.unconfigured_plugins = std::make_shared<const std::vector<std::string>>(
      std::vector<std::string>{"agents", "api", "cache", "tws"});
  const std::string html = views::render_report(snap, {});
  EXPECT_EQ(count(html, "<article class=\"card\""), 2u);  // Status and Host
  EXPECT_THAT(html, HasSubstr("id=\"card-system-host\""));
  EXPECT_THAT(html, Not(HasSubstr("card off")));
  EXPECT_THAT(html, Not(HasSubstr("chart off")));
  // Every chart has a line; the others fold into one line naming them.
  EXPECT_EQ(count(html, "<svg class=\"plot\""), count(html, "<path class=\"line s1\""));
  EXPECT_EQ(count(html, "<svg class=\"plot\""), 1u);
  EXPECT_THAT(html, HasSubstr("<b>Not configured:</b> agents, api, cache, tws</p>"));
  EXPECT_EQ(tidy(html).first, 0);
}

// The alert rules' thresholds are dashed lines on the charts of their series.
TEST(HtmlReportTest, ThresholdsAreDashedLinesOnTheirCharts) {
  const std::string html = full_report();
  const std::string errors = figure(html, "Error rate");
  EXPECT_EQ(count(errors, "<path class=\"threshold warn\""), 1u);
  EXPECT_EQ(count(errors, "<path class=\"threshold crit\""), 1u);
  // p95 ends at 640 ms: the 500 ms warning is on the scale, the 1000 ms critical above it.
  EXPECT_EQ(count(figure(html, "Latency"), "<path class=\"threshold warn\""), 1u);
  EXPECT_EQ(count(figure(html, "Latency"), "<path class=\"threshold crit\""), 0u);
  EXPECT_EQ(count(figure(html, "Host CPU / memory"), "<path class=\"threshold"), 0u);
  EXPECT_THAT(html, HasSubstr("stroke-dasharray"));
}

TEST(HtmlReportTest, FullWindowStaysUnderTheSizeGoal) {
  const std::string html = full_report();
  EXPECT_LE(html.size(), 200u * 1024);
  EXPECT_EQ(views::report_rows(std::chrono::seconds(5), 120), 1440u);
  EXPECT_EQ(views::report_rows(std::chrono::seconds(5), 0), SIZE_MAX);
}

}  // namespace
}  // namespace resync

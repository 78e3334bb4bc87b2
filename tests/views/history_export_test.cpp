// SPDX-License-Identifier: MIT
// The history writers (CSV, NDJSON, table, OpenMetrics) on hand-made snapshots, byte for byte.
#include "resync/views/history_export.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <clocale>
#include <cmath>
#include <sstream>

#include "resync/catalog.hpp"

namespace resync::views {
namespace {

using testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Three samples 500 ms apart: a percent gauge on two instances, a counter, a ms gauge whose name
// needs CSV quoting, and the host's collector_up.
MonitorSnapshot sample_snapshot() {
  MonitorSnapshot s;
  s.interval = std::chrono::milliseconds{500};
  std::vector<SeriesKey> keys = {
      {"hit_ratio",
       "redis",
       "cache",
       {"hit_ratio", Unit::kPercent, Kind::kGauge, "Share of \"hits\".\nSecond line."}},
      {"hit_ratio",
       "memcache",
       "cache",
       {"hit_ratio", Unit::kPercent, Kind::kGauge, "Share of \"hits\".\nSecond line."}},
      {"requests", "api", "api", {"requests", Unit::kCount, Kind::kCounter, "Requests served."}},
      {"p95,odd \"name\"",
       "api",
       "api",
       {"p95,odd \"name\"", Unit::kMilliseconds, Kind::kGauge, "p95."}},
      {"collector_up", "api", "api", host_series()[0]},
  };
  s.series = std::make_shared<const std::vector<SeriesKey>>(keys);
  StoreSnapshot& st = s.store;
  st.series_count = keys.size();
  st.rows = 3;
  st.timestamps_ms = {1'764'640'000'000, 1'764'640'000'500, 1'764'640'001'000};
  st.values = {
      95.5, kNaN, 97,      // hit_ratio{redis}
      1e-7, 50,   100,     // hit_ratio{memcache}
      10,   12,   15,      // requests
      250,  kNaN, 1250.5,  // p95
      1,    0,    1,       // collector_up
  };
  return s;
}

TEST(HistoryExportTest, LabelsNameTheInstanceOnlyWhenAMetricHasSeveral) {
  EXPECT_THAT(series_labels(sample_snapshot()),
              testing::ElementsAre("hit_ratio{redis}", "hit_ratio{memcache}", "requests",
                                   "p95,odd \"name\"", "collector_up"));
}

TEST(HistoryExportTest, CsvHeaderIsoTimeEpochEmptyCellsAndRfc4180Quoting) {
  EXPECT_EQ(render_history_csv(sample_snapshot(), {}),
            "time,epoch,hit_ratio{redis},hit_ratio{memcache},requests,\"p95,odd "
            "\"\"name\"\"\",collector_up\n"
            "2025-12-02T01:46:40Z,1764640000,95.5,1e-07,10,250,1\n"
            "2025-12-02T01:46:40.500Z,1764640000.5,,50,12,,0\n"
            "2025-12-02T01:46:41Z,1764640001,97,100,15,1250.5,1\n");
}

TEST(HistoryExportTest, CsvDoesNotDependOnTheLocale) {
  const char* previous = std::setlocale(LC_ALL, nullptr);
  const std::string saved = previous ? previous : "C";
  if (!std::setlocale(LC_ALL, "de_DE.UTF-8") && !std::setlocale(LC_ALL, "C.UTF-8"))
    GTEST_SKIP() << "no locale";
  std::ostringstream out;
  out.imbue(std::locale(""));
  render_history_csv(out, sample_snapshot(), {});
  std::setlocale(LC_ALL, saved.c_str());
  EXPECT_EQ(out.str(), render_history_csv(sample_snapshot(), {}));
}

TEST(HistoryExportTest, SelectsSeriesByMetricOrLabelAndRowsByMinutes) {
  HistoryQuery q;
  q.series = {"requests", "hit_ratio{memcache}"};
  EXPECT_EQ(render_history_csv(sample_snapshot(), q),
            "time,epoch,requests,hit_ratio{memcache}\n"
            "2025-12-02T01:46:40Z,1764640000,10,1e-07\n"
            "2025-12-02T01:46:40.500Z,1764640000.5,12,50\n"
            "2025-12-02T01:46:41Z,1764640001,15,100\n");
  q.series = {"hit_ratio"};
  EXPECT_THAT(render_history_csv(sample_snapshot(), q),
              testing::StartsWith("time,epoch,hit_ratio{redis},hit_ratio{memcache}\n"));
  MonitorSnapshot minute = sample_snapshot();
  minute.interval = std::chrono::seconds{30};  // one minute = the newest two rows
  q.minutes = 1;
  q.series = {"requests"};
  EXPECT_EQ(render_history_csv(minute, q),
            "time,epoch,requests\n2025-12-02T01:46:40.500Z,1764640000.5,12\n2025-12-02T01:46:41Z,"
            "1764640001,15\n");
  q.minutes = 1'000'000'000'000;
  EXPECT_EQ(render_history_csv(minute, q).size(),
            render_history_csv(minute, {{}, {"requests"}}).size())
      << "more minutes than held is everything, not an error";
}

TEST(HistoryExportTest, UnknownSeriesListsTheKnownOnes) {
  HistoryQuery q;
  q.series = {"hit_ration"};
  try {
    render_history_csv(sample_snapshot(), q);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(
        e.what(),
        "unknown series \"hit_ration\"; known: hit_ratio{redis}, hit_ratio{memcache}, requests, "
        "p95,odd \"name\", collector_up");
  }
}

TEST(HistoryExportTest, NdjsonOneObjectPerSampleWithNull) {
  HistoryQuery q;
  q.series = {"hit_ratio{redis}", "p95,odd \"name\""};
  EXPECT_EQ(
      render_history_ndjson(sample_snapshot(), q),
      "{\"time\":\"2025-12-02T01:46:40Z\",\"epoch\":1764640000,\"values\":{\"hit_ratio{redis}\":95."
      "5,"
      "\"p95,odd \\\"name\\\"\":250}}\n"
      "{\"time\":\"2025-12-02T01:46:40.500Z\",\"epoch\":1764640000.5,\"values\":{\"hit_ratio{redis}"
      "\":null,"
      "\"p95,odd \\\"name\\\"\":null}}\n"
      "{\"time\":\"2025-12-02T01:46:41Z\",\"epoch\":1764640001,\"values\":{\"hit_ratio{redis}\":97,"
      "\"p95,odd \\\"name\\\"\":1250.5}}\n");
}

TEST(HistoryExportTest, TableAlignsColumnsAndShowsMissingAsDash) {
  HistoryQuery q;
  q.series = {"hit_ratio{redis}", "requests"};
  const std::string table = render_history_table(sample_snapshot(), q);
  std::istringstream lines(table);
  std::string header, first, second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_EQ(header, "TIME      hit_ratio{redis}  requests");
  EXPECT_THAT(first,
              testing::MatchesRegex("[0-9]{2}:[0-9]{2}:[0-9]{2}              95.5        10"));
  EXPECT_THAT(second, testing::EndsWith("                -        12"));
}

TEST(HistoryExportTest, OpenMetricsFamiliesUnitsCountersGapsAndEof) {
  HistoryQuery q;
  q.series = {"hit_ratio", "requests", "p95,odd \"name\"", "collector_up"};
  MonitorSnapshot snap = sample_snapshot();
  auto keys = std::make_shared<std::vector<SeriesKey>>(snap.keys());
  (*keys)[3].metric = (*keys)[3].description.name = "latency_p95_ms";
  snap.series = keys;
  q.series[2] = "latency_p95_ms";
  EXPECT_EQ(render_openmetrics(snap, q),
            "# TYPE resync_mon_hit_ratio gauge\n"
            "# HELP resync_mon_hit_ratio Share of \\\"hits\\\".\\nSecond line.\n"
            "resync_mon_hit_ratio{instance=\"redis\"} 95.5 1764640000\n"
            "resync_mon_hit_ratio{instance=\"redis\"} 97 1764640001\n"
            "resync_mon_hit_ratio{instance=\"memcache\"} 1e-07 1764640000\n"
            "resync_mon_hit_ratio{instance=\"memcache\"} 50 1764640000.5\n"
            "resync_mon_hit_ratio{instance=\"memcache\"} 100 1764640001\n"
            "# TYPE resync_mon_requests counter\n"
            "# HELP resync_mon_requests Requests served.\n"
            "resync_mon_requests_total{instance=\"api\"} 10 1764640000\n"
            "resync_mon_requests_total{instance=\"api\"} 12 1764640000.5\n"
            "resync_mon_requests_total{instance=\"api\"} 15 1764640001\n"
            "# TYPE resync_mon_latency_p95_seconds gauge\n"
            "# UNIT resync_mon_latency_p95_seconds seconds\n"
            "# HELP resync_mon_latency_p95_seconds p95.\n"
            "resync_mon_latency_p95_seconds{instance=\"api\"} 0.25 1764640000\n"
            "resync_mon_latency_p95_seconds{instance=\"api\"} 1.2505 1764640001\n"
            "# TYPE resync_mon_collector_up gauge\n"
            "# HELP resync_mon_collector_up 1 when the collector's last run succeeded within its "
            "deadline, else 0.\n"
            "resync_mon_collector_up{collector=\"api\"} 1 1764640000\n"
            "resync_mon_collector_up{collector=\"api\"} 0 1764640000.5\n"
            "resync_mon_collector_up{collector=\"api\"} 1 1764640001\n"
            "# EOF\n");
}

TEST(HistoryExportTest, EmptyHistoryIsAHeaderOrJustEof) {
  MonitorSnapshot empty = sample_snapshot();
  empty.store.rows = 0;
  empty.store.timestamps_ms.clear();
  empty.store.values.clear();
  EXPECT_EQ(render_history_csv(empty, {{}, {"requests"}}), "time,epoch,requests\n");
  EXPECT_EQ(render_history_ndjson(empty, {}), "");
  EXPECT_THAT(render_openmetrics(empty, {}), testing::EndsWith("# EOF\n"));
  EXPECT_EQ(render_openmetrics(empty, {}).find("resync_mon_requests_total{"), std::string::npos);
}

TEST(HistoryExportTest, LargeExportStreamsInPieces) {
  MonitorSnapshot big = sample_snapshot();
  StoreSnapshot& st = big.store;
  st.rows = 20'000;
  st.timestamps_ms.resize(st.rows);
  for (size_t r = 0; r < st.rows; ++r) st.timestamps_ms[r] = 1'764'640'000'000 + int64_t(r) * 500;
  st.values.assign(st.series_count * st.rows, 1.5);
  std::ostringstream out;
  render_history_csv(out, big, {});
  const std::string text = out.str();
  EXPECT_EQ(text, render_history_csv(big, {}));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 20'001);
}

}  // namespace
}  // namespace resync::views

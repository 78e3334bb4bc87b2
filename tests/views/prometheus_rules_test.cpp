// SPDX-License-Identifier: MIT
#include "resync/views/prometheus_rules.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "resync/catalog.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;
using testing::Not;

std::vector<SeriesKey> keys() {
  std::vector<SeriesKey> out = {
      {"response_time_p95",
       "api",
       "api",
       {"response_time_p95", Unit::kMilliseconds, Kind::kGauge, "p95."}},
      {"cache_hit_ratio",
       "redis",
       "cache",
       {"cache_hit_ratio", Unit::kPercent, Kind::kGauge, "Hits."}},
      {"cache_hit_ratio",
       "redis2",
       "cache",
       {"cache_hit_ratio", Unit::kPercent, Kind::kGauge, "Hits."}},
  };
  for (const SeriesDescription& d : host_series()) out.push_back({d.name, "redis", "cache", d});
  return out;
}

std::string render(AlertRule rule, std::string dashboard = "http://h:1/monitoring",
                   std::vector<std::string>* notes = nullptr) {
  const views::RuleExport in{{std::move(rule)}, keys(), 5s, std::move(dashboard), "t.yaml"};
  return views::render_prometheus_rules(in, notes);
}

AlertRule rule(const char* metric, Comparison c, double warning) {
  AlertRule r;
  r.metric = metric;
  r.conditions = {{Severity::kWarning, c, warning}};
  return r;
}

TEST(PrometheusRulesTest, MillisecondSeriesAreComparedInSecondsUnderTheirExportedName) {
  const std::string out = render(rule("response_time_p95", Comparison::kAbove, 500));
  EXPECT_THAT(out, HasSubstr("max without (job) (resync_mon_response_time_p95_seconds) > 0.5\n"));
  EXPECT_THAT(out, HasSubstr(" s (warning when > 0.5 s)'"));
}

TEST(PrometheusRulesTest, AnInstanceFilterSelectsItsLabel) {
  AlertRule ratio = rule("cache_hit_ratio", Comparison::kBelow, 80);
  ratio.instance = "redis2";
  EXPECT_THAT(render(ratio), HasSubstr("resync_mon_cache_hit_ratio{instance=\"redis2\"}) < 80"));
  AlertRule up = rule("collector_up", Comparison::kEquals, 0);
  up.instance = "redis";
  EXPECT_THAT(render(up), HasSubstr("label_replace(resync_mon_collector_up{collector=\"redis\"}, "
                                    "\"instance\", \"$1\", \"collector\", \"(.*)\")"));
}

TEST(PrometheusRulesTest, AbsentForCoversEveryInstanceEvenWithoutItsSeries) {
  AlertRule absent;
  absent.metric = "cache_hit_ratio";
  absent.absent_for = 90s;
  const std::string out = render(absent);
  EXPECT_THAT(out,
              HasSubstr("absent_over_time(resync_mon_cache_hit_ratio{instance=\"redis\"}[90s])"));
  EXPECT_THAT(out,
              HasSubstr("absent_over_time(resync_mon_cache_hit_ratio{instance=\"redis2\"}[90s])"));
  EXPECT_THAT(out, HasSubstr("max_over_time(resync_mon_cache_hit_ratio[90s])"));
  EXPECT_THAT(out, HasSubstr("value: 'none'"));
  EXPECT_THAT(out, Not(HasSubstr("        for:"))) << "absent_for is the whole wait";
}

TEST(PrometheusRulesTest, DurationsAreWrittenAsPrometheusReadsThem) {
  AlertRule r = rule("cache_hit_ratio", Comparison::kBelow, 80);
  r.for_duration = 90s;
  r.keep_firing_for = 1500ms;
  const std::string out = render(r);
  EXPECT_THAT(out, HasSubstr("\n        for: 90s\n        keep_firing_for: 1500ms\n"));
  EXPECT_THAT(out, HasSubstr("\n    interval: 5s\n"));
}

TEST(PrometheusRulesTest, ARuleNoCollectorServesIsACommentNotARule) {
  const std::string out = render(rule("error_rate", Comparison::kAbove, 5));
  EXPECT_THAT(out, HasSubstr("# Not exported: no configured collector provides error_rate."));
  EXPECT_THAT(out, Not(HasSubstr("- alert:")));
}

TEST(PrometheusRulesTest, FlappingIsNotedNotDropped) {
  AlertRule r = rule("cache_hit_ratio", Comparison::kBelow, 80);
  r.name = "hit_ratio_low";
  r.flapping = FlapDetection{40, 25};
  std::vector<std::string> notes;
  const std::string out = render(r, "", &notes);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0], HasSubstr("hit_ratio_low (cache_hit_ratio): flapping detection"));
  EXPECT_THAT(out, HasSubstr("# Flapping detection (high 40 %, low 25 %) is not exported"));
  EXPECT_THAT(out, HasSubstr("- alert: hit_ratio_low\n"));
  EXPECT_THAT(out, Not(HasSubstr("dashboard:"))) << "no link configured, none invented";
}

TEST(PrometheusRulesTest, KeepFiringForAcrossSeveritiesIsNoted) {
  AlertRule r = rule("cache_hit_ratio", Comparison::kBelow, 80);
  r.keep_firing_for = 1min;
  std::vector<std::string> notes;
  render(r, "", &notes);
  EXPECT_TRUE(notes.empty()) << "one severity: nothing differs";
  r.conditions.push_back({Severity::kCritical, Comparison::kBelow, 50});
  const std::string out = render(r, "", &notes);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0], HasSubstr("keep_firing_for with two severities"));
  EXPECT_THAT(out, HasSubstr("# keep_firing_for keeps each severity's alert on its own"));
}

TEST(PrometheusRulesTest, TheDashboardLinkStaysLiteralText) {
  const std::string out =
      render(rule("cache_hit_ratio", Comparison::kBelow, 80), "http://h/o'k/{{x}}");
  EXPECT_THAT(out, HasSubstr("dashboard: 'http://h/o''k/{{ \"{{\" }}x}}'"));
}

}  // namespace
}  // namespace resync

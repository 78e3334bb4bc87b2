// SPDX-License-Identifier: MIT
// The presentation model: cards and charts from descriptions, hints and rules, for plugins with
// hints (the bundled ones, through the real loader) and without (a plugin nobody wrote host code
// for).
#include "resync/views/presentation.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "resync/views/json.hpp"
#include "scripted_collector.hpp"
#include "views_support.hpp"

namespace resync {
namespace {

using testing::ElementsAre;
using views::build_presentation;
using views::LayoutCard;
using views::LayoutChart;
using views::Presentation;

// A monitor of `instances`, each collector emitting `call` for every series, sampled `rows` times.
std::unique_ptr<Monitor> monitor_of(std::vector<InstanceInfo> instances, int rows = 3,
                                    const std::string& yaml = "interval: 5s\n") {
  std::vector<std::unique_ptr<Collector>> collectors;
  for (const InstanceInfo& i : instances) {
    std::vector<std::string> names;
    for (const SeriesDescription& d : i.series) names.push_back(d.name);
    collectors.push_back(std::make_unique<test::ScriptedCollector>([names](SampleSink& s, int c) {
      for (const std::string& n : names) s.emit(n, c);
    }));
  }
  auto m =
      std::make_unique<Monitor>(test::config(yaml), std::move(instances), std::move(collectors));
  for (int k = 0; k < rows; ++k) m->sample_now(1'800'000'000'000 + k * 5000);
  return m;
}

// The queue_depth example's descriptions: a count and a duration, no hints.
InstanceInfo queue_instance() {
  return {"outbox",
          "queue_depth",
          {{"queue_depth", Unit::kCount, Kind::kGauge, "Files waiting.", "queue.depth",
            "queue.depth", series_flags::kTrend},
           {"queue_oldest_age_seconds", Unit::kSeconds, Kind::kGauge, "Oldest file's age.",
            "queue.oldest_age_seconds", "queue.oldest_age_seconds"},
           {"queue_moved_total", Unit::kCount, Kind::kCounter, "Files moved.", "queue.moved", ""}}};
}

std::vector<std::string> titles(const std::vector<LayoutChart>& charts) {
  std::vector<std::string> out;
  for (const LayoutChart& c : charts) out.push_back(c.title);
  return out;
}

TEST(PresentationTest, APluginWithoutHintsGetsACardAndOneChartPerUnit) {
  const auto m = monitor_of({queue_instance()});
  const Presentation p = build_presentation(m->snapshot());
  ASSERT_EQ(p.cards.size(), 1u);
  const LayoutCard& card = p.cards[0];
  EXPECT_EQ(card.id, "card-queue-depth-queue-depth");
  EXPECT_EQ(card.title, "Queue depth");
  ASSERT_EQ(card.fields.size(), 3u);
  // The first gauge /current shows leads; labels come from the /current field names.
  EXPECT_EQ(card.fields[0].metric, "queue_depth");
  EXPECT_TRUE(card.fields[0].headline);
  EXPECT_EQ(card.fields[1].label, "oldest age seconds");
  EXPECT_FALSE(card.fields[1].headline);
  EXPECT_EQ(card.trend, "queue.trend");
  // Count, seconds and the counter's rate: three units, three charts, never two on one axis.
  ASSERT_EQ(p.charts.size(), 3u);
  EXPECT_THAT(titles(p.charts),
              ElementsAre("Queue depth (count)", "Queue depth (s)", "Queue depth (/s)"));
  for (const LayoutChart& c : p.charts) EXPECT_EQ(c.lines.size(), 1u) << c.title;
  EXPECT_EQ(p.charts[2].unit, Unit::kPerSecond);
  EXPECT_TRUE(p.charts[2].lines[0].rate);
  EXPECT_EQ(p.charts[2].lines[0].label, "moved/s");
  EXPECT_THAT(p.plugins, ElementsAre("queue_depth"));
}

// Every line can be drawn from /history when the page loads: from its own column, or from the
// stored values /history lists under `series` for a line that has none.
TEST(PresentationTest, EveryChartLineFillsFromHistory) {
  const auto m = monitor_of({queue_instance()});
  const MonitorSnapshot snap = m->snapshot();
  const Presentation p = build_presentation(snap);
  ASSERT_EQ(p.charts.size(), 3u);
  EXPECT_EQ(p.charts[0].lines[0].history, "queue.depth");
  const views::LayoutLine& moved = p.charts[2].lines[0];
  EXPECT_EQ(moved.history, "series.queue_moved_total");
  EXPECT_FALSE(moved.increase);  // cumulative values: the dashboard takes their rate

  const auto history = test::parse_object(views::render_history(snap));
  const auto series = history->getObject("series");
  ASSERT_TRUE(series);
  EXPECT_EQ(series->getNames(), std::vector<std::string>{"queue_moved_total"});
  const auto values = series->getArray("queue_moved_total");
  ASSERT_EQ(values->size(), 3u);
  for (unsigned row = 0; row < 3; ++row)
    EXPECT_EQ(values->getElement<double>(row), snap.store.at(moved.column, row)) << row;
  EXPECT_EQ(history->getObject("queue")->getArray("depth")->size(), 3u);

  // Bundled: the cache lookups have no column of their own (/history sums them as operations).
  auto ready = test::all_plugins([](const std::string&, int call) { return call; });
  const Monitor bundled(test::config("interval: 5s\n"), std::move(ready.instances),
                        std::move(ready.collectors));
  for (const views::LayoutChart& c : build_presentation(bundled.snapshot()).charts) {
    for (const views::LayoutLine& l : c.lines) {
      EXPECT_FALSE(l.history.empty()) << c.title << ": " << l.metric;
      if (l.metric == "cache_hits") {
        EXPECT_EQ(l.history, "series.cache_hits");
      }
    }
  }
}

TEST(PresentationTest, HintedChartsNeverMixUnits) {
  InstanceInfo i = queue_instance();
  for (SeriesDescription& d : i.series) d.chart = "Queue";  // one title for a count and seconds
  const auto m = monitor_of({i});
  const Presentation p = build_presentation(m->snapshot());
  ASSERT_EQ(p.charts.size(), 3u);
  for (const LayoutChart& c : p.charts) {
    EXPECT_EQ(c.title, "Queue");
    ASSERT_EQ(c.lines.size(), 1u);
  }
  EXPECT_NE(p.charts[0].unit, p.charts[1].unit);
}

TEST(PresentationTest, BundledPluginsKeepTheOriginalCardsAndCharts) {
  auto ready = test::all_plugins([](const std::string&, int call) { return call; });
  const Monitor m(test::config("interval: 5s\n"), std::move(ready.instances),
                  std::move(ready.collectors));
  const Presentation p = build_presentation(m.snapshot());
  std::vector<std::string> cards;
  for (const LayoutCard& c : p.cards) cards.push_back(c.title);
  EXPECT_THAT(cards, ElementsAre("Requests", "Error rate", "Latency", "Cache", "Agents",
                                 "Workload Automation", "Host"));
  const auto chart = [&](const std::string& title) {
    const auto it = std::find_if(p.charts.begin(), p.charts.end(),
                                 [&](const LayoutChart& c) { return c.title == title; });
    return it == p.charts.end() ? LayoutChart{} : *it;
  };
  EXPECT_EQ(chart("Latency").lines.size(), 2u);
  EXPECT_EQ(chart("Latency").unit, Unit::kMilliseconds);
  EXPECT_EQ(chart("Host CPU / memory").lines.size(), 2u);
  EXPECT_TRUE(chart("Host CPU / memory").percent);
  // Default rules: error rate > 5 warning and >= 10 critical, drawn on its chart.
  const LayoutChart errors = chart("Error rate");
  ASSERT_EQ(errors.thresholds.size(), 2u);
  EXPECT_EQ(errors.thresholds[0].value, 5);
  EXPECT_EQ(errors.thresholds[1].severity, Severity::kCritical);
  // Cache lookups are counters: drawn as rates.
  EXPECT_EQ(chart("Cache lookups").unit, Unit::kPerSecond);
  EXPECT_TRUE(chart("Cache lookups").lines[0].rate);
  // The host series (collector_up, duration) belong to the collectors table.
  for (const LayoutCard& c : p.cards) {
    for (const auto& f : c.fields) EXPECT_NE(f.metric, "collector_up");
  }
}

// Thresholds (dashed lines, status colours) are those of the rules in effect: the plugins'
// defaults without `alerts:`, none with `default_alerts: false`.
TEST(PresentationTest, ThresholdsAreTheRulesInEffect) {
  const auto error_rate = [](const std::string& yaml) {
    auto ready = test::all_plugins([](const std::string&, int call) { return call; });
    const Monitor m(test::config(yaml), std::move(ready.instances), std::move(ready.collectors));
    const Presentation p = build_presentation(m.snapshot());
    for (const LayoutCard& c : p.cards) {
      for (const auto& f : c.fields) {
        if (f.metric == "error_rate") return f.thresholds;
      }
    }
    ADD_FAILURE() << "no error_rate field";
    return std::vector<views::Threshold>{};
  };
  const std::vector<views::Threshold> defaults = error_rate("interval: 5s\n");
  ASSERT_EQ(defaults.size(), 2u);  // the api plugin's rule
  EXPECT_EQ(defaults[0].value, 5);
  EXPECT_EQ(defaults[1].value, 10);
  EXPECT_TRUE(error_rate("interval: 5s\ndefault_alerts: false\n").empty());
  const auto own =
      error_rate("interval: 5s\nalerts:\n  - {metric: error_rate, above: {warning: 2}}\n");
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].value, 2);
}

TEST(PresentationTest, ThresholdLevelFollowsTheComparison) {
  const std::vector<views::Threshold> t = {{Severity::kWarning, Comparison::kAbove, 5},
                                           {Severity::kCritical, Comparison::kAtLeast, 10}};
  EXPECT_EQ(views::threshold_level(t, 5), 0);
  EXPECT_EQ(views::threshold_level(t, 5.1), 1);
  EXPECT_EQ(views::threshold_level(t, 10), 2);
  EXPECT_EQ(views::threshold_level(t, std::nan("")), 0);
}

TEST(PresentationTest, LayoutDocumentNamesCardsChartsAndWhatIsNotConfigured) {
  const auto m = monitor_of({queue_instance()});
  MonitorSnapshot snap = m->snapshot();
  snap.unconfigured_plugins =
      std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"cache", "tws"});
  const auto doc = test::parse_object(views::render_layout(snap));
  EXPECT_EQ(doc->getValue<double>("interval_seconds"), 5);
  const auto cards = doc->getArray("cards");
  ASSERT_EQ(cards->size(), 1u);
  const auto field = cards->getObject(0)->getArray("fields")->getObject(0);
  EXPECT_EQ(field->getValue<std::string>("current"), "queue.depth");
  EXPECT_EQ(field->getValue<std::string>("unit"), "count");
  EXPECT_TRUE(field->getValue<bool>("headline"));
  EXPECT_EQ(doc->getArray("charts")->size(), 3u);
  const auto line = doc->getArray("charts")->getObject(0)->getArray("lines")->getObject(0);
  EXPECT_EQ(line->getValue<std::string>("history"), "queue.depth");
  EXPECT_EQ(doc->getArray("not_configured")->size(), 2u);
}

}  // namespace
}  // namespace resync

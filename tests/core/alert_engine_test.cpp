// SPDX-License-Identifier: MIT
#include "resync/alert_engine.hpp"

#include "scripted_collector.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace resync {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Drives an engine one row at a time, keeping the previous row as the Monitor does.
class Feed {
 public:
  Feed(std::vector<AlertRule> rules, const SeriesLayout& layout, size_t keep = 20)
      : engine(std::move(rules), layout, keep) {}

  /// The alerts of the transitions this row caused, in order.
  std::vector<Alert> push(int64_t t, std::vector<double> row) {
    std::vector<Alert> alerts;
    for (const AlertEvent& e : events(t, std::move(row))) alerts.push_back(e.alert);
    return alerts;
  }
  std::vector<AlertEvent> events(int64_t t, std::vector<double> row) {
    auto events = engine.evaluate(t, row.data(), previous_.empty() ? nullptr : previous_.data());
    previous_ = std::move(row);
    return events;
  }

  AlertEngine engine;

 private:
  std::vector<double> previous_;
};

// Columns described as the built api plugin describes them (the units appear in messages).
SeriesLayout api_layout() {
  SeriesLayout layout;
  for (const SeriesDescription& d : test::described("api", {"error_rate", "response_time_p95"})) {
    layout.add({d.name, "api", "api", d});
  }
  return layout;
}

// The original dashboard's thresholds with none of the defaults' calm (for, clear, flapping): the
// engine's mechanics one sample at a time. The plugins' own defaults: plugin_rules_test.cpp.
std::vector<AlertRule> bare_rules() {
  using C = Comparison;
  using S = Severity;
  return {
      {"error_rate", {{S::kWarning, C::kAbove, 5}, {S::kCritical, C::kAtLeast, 10}}, {}, {}},
      {"cache_hit_ratio",
       {{S::kWarning, C::kBelow, 80}},
       AlertGuard{{"cache_hits", "cache_misses"}, 100},
       {}},
      {"response_time_p95",
       {{S::kWarning, C::kAbove, 500}, {S::kCritical, C::kAtLeast, 1000}},
       {},
       {}},
      {"tws_connected", {{S::kCritical, C::kEquals, 0}}, {}, {}},
  };
}

TEST(AlertEngineTest, HostRulesWarnWhenACollectorIsDownForAMinute) {
  const auto rules = host_alert_rules();
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].metric, "collector_up");
  ASSERT_EQ(rules[0].conditions.size(), 1u);
  EXPECT_EQ(rules[0].conditions[0].comparison, Comparison::kEquals);
  EXPECT_EQ(rules[0].conditions[0].threshold, 0);
  EXPECT_EQ(rules[0].conditions[0].severity, Severity::kWarning);
  EXPECT_EQ(rules[0].for_duration, std::chrono::minutes{1});
}

TEST(AlertEngineTest, FiresOnceAndResolves) {
  const SeriesLayout layout = api_layout();
  Feed feed(bare_rules(), layout);
  EXPECT_TRUE(feed.push(1000, {1, 100}).empty());
  const auto fired = feed.push(2000, {7, 100});
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].type, "error_rate");
  EXPECT_EQ(fired[0].instance, "api");
  EXPECT_EQ(fired[0].severity, Severity::kWarning);
  EXPECT_EQ(fired[0].value, 7);
  EXPECT_EQ(fired[0].timestamp_ms, 2000);
  EXPECT_EQ(fired[0].started_at_ms, 2000);
  EXPECT_TRUE(fired[0].active());
  EXPECT_EQ(fired[0].message, "error_rate [api] is 7 % (warning when > 5 %)");

  // No duplicate while the condition holds.
  EXPECT_TRUE(feed.push(3000, {8, 100}).empty());
  EXPECT_TRUE(feed.push(4000, {6, 100}).empty());
  EXPECT_EQ(feed.engine.recent().size(), 1u);
  EXPECT_EQ(feed.engine.active().size(), 1u);

  const auto resolved = feed.push(5000, {2, 100});
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].resolved_at_ms, 5000);
  EXPECT_FALSE(resolved[0].active());
  EXPECT_TRUE(feed.engine.active().empty());
  const auto recent = feed.engine.recent();
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].resolved_at_ms, 5000);
  EXPECT_EQ(recent[0].timestamp_ms, 2000);

  // A new episode is a new alert.
  ASSERT_EQ(feed.push(6000, {9, 100}).size(), 1u);
  EXPECT_EQ(feed.engine.recent().size(), 2u);
}

TEST(AlertEngineTest, ThresholdEdgesFollowTheComparison) {
  const SeriesLayout layout = api_layout();
  Feed feed(bare_rules(), layout);
  EXPECT_TRUE(feed.push(1000, {5, 500}).empty());  // > 5 and > 500: equal is not above
  const auto fired = feed.push(2000, {10, 1000});  // >= 10 and >= 1000: equal is critical
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].severity, Severity::kCritical);
  EXPECT_EQ(fired[1].severity, Severity::kCritical);
  EXPECT_EQ(fired[1].message, "response_time_p95 [api] is 1000 ms (critical when >= 1000 ms)");
}

TEST(AlertEngineTest, SeverityChangeResolvesAndFiresANewEpisode) {
  const SeriesLayout layout = api_layout();
  Feed feed(bare_rules(), layout);
  ASSERT_EQ(feed.push(1000, {6, 0}).size(), 1u);
  const auto escalated = feed.push(2000, {12, 0});
  ASSERT_EQ(escalated.size(), 2u);
  EXPECT_EQ(escalated[0].severity, Severity::kWarning);
  EXPECT_EQ(escalated[0].resolved_at_ms, 2000);
  EXPECT_EQ(escalated[1].severity, Severity::kCritical);
  EXPECT_TRUE(escalated[1].active());
  EXPECT_TRUE(feed.push(3000, {15, 0}).empty());

  const auto active = feed.engine.active();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].severity, Severity::kCritical);
  const auto recent = feed.engine.recent();
  ASSERT_EQ(recent.size(), 2u);
  EXPECT_EQ(recent[0].severity, Severity::kCritical);  // newest first
  EXPECT_EQ(recent[1].severity, Severity::kWarning);
  EXPECT_FALSE(recent[1].active());
}

TEST(AlertEngineTest, ForDurationDelaysFiring) {
  const SeriesLayout layout = api_layout();
  std::vector<AlertRule> rules{{"error_rate",
                                {{Severity::kWarning, Comparison::kAbove, 5}},
                                std::nullopt,
                                std::chrono::seconds{30}}};
  Feed feed(rules, layout);
  const auto pending = feed.push(0, {9, 0});
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].state, AlertState::kPending);
  EXPECT_FALSE(pending[0].active());
  EXPECT_TRUE(feed.engine.active().empty());
  ASSERT_EQ(feed.engine.current().size(), 1u);
  EXPECT_TRUE(feed.engine.recent().empty());  // the history holds alerts that fired
  EXPECT_TRUE(feed.push(10000, {9, 0}).empty());
  EXPECT_TRUE(feed.push(20000, {9, 0}).empty());
  const auto fired = feed.push(30000, {9, 0});
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state, AlertState::kFiring);
  EXPECT_EQ(fired[0].started_at_ms, 0);
  EXPECT_EQ(fired[0].timestamp_ms, 30000);
  EXPECT_EQ(fired[0].id, pending[0].id);

  // A dip restarts the clock.
  Feed dipping(rules, layout);
  dipping.push(0, {9, 0});
  EXPECT_EQ(dipping.push(20000, {1, 0}).size(), 1u);  // pending -> resolved
  EXPECT_EQ(dipping.push(25000, {9, 0}).size(), 1u);  // pending again
  EXPECT_TRUE(dipping.push(50000, {9, 0}).empty());
  EXPECT_EQ(dipping.push(55000, {9, 0}).size(), 1u);
}

TEST(AlertEngineTest, NaNNeverFires) {
  const SeriesLayout layout = api_layout();
  std::vector<AlertRule> rules{
      {"error_rate", {{Severity::kWarning, Comparison::kBelow, 50}}, std::nullopt, {}},
      {"response_time_p95", {{Severity::kCritical, Comparison::kEquals, 0}}, std::nullopt, {}}};
  Feed feed(rules, layout);
  for (int t = 0; t < 5; ++t) EXPECT_TRUE(feed.push(t * 1000, {kNaN, kNaN}).empty());
  EXPECT_TRUE(feed.engine.recent().empty());
}

TEST(AlertEngineTest, TwsDisconnectedIsCritical) {
  SeriesLayout layout;
  layout.add({"tws_connected", "tws-prod", "tws"});
  Feed feed(bare_rules(), layout);
  EXPECT_TRUE(feed.push(1000, {1}).empty());
  const auto fired = feed.push(2000, {0});
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].severity, Severity::kCritical);
  EXPECT_EQ(fired[0].instance, "tws-prod");
  EXPECT_EQ(fired[0].message, "tws_connected [tws-prod] is 0 (critical when == 0)");
}

TEST(AlertEngineTest, GuardNeedsEnoughTraffic) {
  SeriesLayout layout;
  const size_t ratio = layout.add({"cache_hit_ratio", "redis", "cache"});
  const size_t hits = layout.add({"cache_hits", "redis", "cache"});
  const size_t misses = layout.add({"cache_misses", "redis", "cache"});
  Feed feed(bare_rules(), layout);
  auto row = [&](double r, double h, double m) {
    std::vector<double> v(3);
    v[ratio] = r;
    v[hits] = h;
    v[misses] = m;
    return v;
  };
  // First sample: no previous row, so no increase to judge by.
  EXPECT_TRUE(feed.push(1000, row(10, 1000, 9000)).empty());
  // 60 + 40 = 100 lookups is not more than 100.
  EXPECT_TRUE(feed.push(2000, row(10, 1060, 9040)).empty());
  // A missing counter reading says nothing about traffic.
  EXPECT_TRUE(feed.push(3000, row(10, kNaN, 9500)).empty());
  EXPECT_TRUE(feed.push(4000, row(10, 1100, 9500)).empty());
  // 101 lookups: the low ratio now counts.
  const auto fired = feed.push(5000, row(10, 1150, 9551));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].type, "cache_hit_ratio");
  // A counter reset (redis restarted) counts the new readings, never a negative increase.
  EXPECT_TRUE(feed.push(6000, row(10, 80, 30)).empty());
  EXPECT_EQ(feed.engine.active().size(), 1u);
  // Too little traffic clears the condition.
  EXPECT_EQ(feed.push(7000, row(10, 81, 30)).size(), 1u);
  EXPECT_TRUE(feed.engine.active().empty());
}

TEST(AlertEngineTest, GuardWithMinIncreaseFromConfig) {
  SeriesLayout layout;
  layout.add({"error_rate", "api", "api"});
  layout.add({"requests_total", "api", "api"});
  std::vector<AlertRule> rules{{"error_rate",
                                {{Severity::kWarning, Comparison::kAbove, 5}},
                                AlertGuard{{"requests_total"}, 10},
                                {}}};
  Feed feed(rules, layout);
  EXPECT_TRUE(feed.push(1000, {50, 100}).empty());
  EXPECT_TRUE(feed.push(2000, {50, 105}).empty());
  EXPECT_EQ(feed.push(3000, {50, 120}).size(), 1u);
}

TEST(AlertEngineTest, EveryInstanceIsWatched) {
  SeriesLayout layout;
  layout.add({"tws_connected", "tws-a", "tws"});
  layout.add({"tws_connected", "tws-b", "tws"});
  Feed feed(bare_rules(), layout);
  const auto fired = feed.push(1000, {0, 0});
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].instance, "tws-a");
  EXPECT_EQ(fired[1].instance, "tws-b");
  const auto resolved = feed.push(2000, {1, 0});
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].instance, "tws-a");
}

TEST(AlertEngineTest, KeepsTheNewestTwenty) {
  SeriesLayout layout;
  layout.add({"tws_connected", "tws", "tws"});
  Feed feed(bare_rules(), layout);
  for (int i = 0; i < 30; ++i) {
    feed.push(i * 2000, {0});         // fires episode i
    feed.push(i * 2000 + 1000, {1});  // resolves it
  }
  const auto recent = feed.engine.recent();
  ASSERT_EQ(recent.size(), 20u);
  EXPECT_EQ(recent.front().timestamp_ms, 29 * 2000);
  EXPECT_EQ(recent.back().timestamp_ms, 10 * 2000);
  for (const Alert& a : recent) EXPECT_FALSE(a.active());
  EXPECT_EQ(feed.engine.recent(5).size(), 5u);
  EXPECT_EQ(feed.engine.recent(5).front().timestamp_ms, 29 * 2000);
}

TEST(AlertEngineTest, ActiveAlertOutlivesItsPlaceInHistory) {
  // tws stays down while error_rate flaps: the tws episode is older than the newest 20 alerts,
  // yet it is still active and must be reported as such.
  SeriesLayout layout;
  layout.add({"tws_connected", "tws", "tws"});
  layout.add({"error_rate", "api", "api"});
  Feed feed(bare_rules(), layout);
  feed.push(0, {0, 0});
  for (int i = 1; i <= 25; ++i) {
    feed.push(i * 2000, {0, 7});
    feed.push(i * 2000 + 1000, {0, 0});
  }
  const auto active = feed.engine.active();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].type, "tws_connected");
  EXPECT_EQ(active[0].timestamp_ms, 0);
  EXPECT_EQ(feed.engine.recent().size(), 20u);
  // When it finally resolves, the resolution is reported.
  const auto resolved = feed.push(60000, {1, 0});
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].resolved_at_ms, 60000);
  EXPECT_TRUE(feed.engine.active().empty());
}

TEST(AlertEngineTest, ListenerSeesEveryFireAndResolve) {
  const SeriesLayout layout = api_layout();
  Feed feed(bare_rules(), layout);
  std::vector<std::pair<std::string, bool>> seen;
  feed.engine.set_listener(
      [&](const AlertEvent& e) { seen.emplace_back(e.alert.type, e.alert.active()); });
  feed.push(1000, {6, 0});
  feed.push(2000, {6, 0});
  feed.push(3000, {0, 0});
  EXPECT_THAT(seen, testing::ElementsAre(std::make_pair(std::string("error_rate"), true),
                                         std::make_pair(std::string("error_rate"), false)));
}

TEST(AlertEngineTest, RuleOnAMetricNoInstanceHasDoesNothing) {
  SeriesLayout layout;
  layout.add({"host_cpu_percent", "system", "system"});
  Feed feed(bare_rules(), layout);
  EXPECT_TRUE(feed.push(1000, {99}).empty());
}

}  // namespace
}  // namespace resync

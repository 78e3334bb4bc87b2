// SPDX-License-Identifier: MIT
// The optional rule fields (for, clear, keep_firing_for, flapping, absent_for) and their
// combinations, one table row per case, on a synthetic series "x" of instance "a".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "resync/alert_engine.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr auto W = Severity::kWarning;
constexpr auto C = Severity::kCritical;

AlertRule rule(std::vector<AlertCondition> conditions, std::function<void(AlertRule&)> tweak = {}) {
  AlertRule r;
  r.metric = "x";
  r.conditions = std::move(conditions);
  if (tweak) tweak(r);
  return r;
}

// One sample: time in seconds, value, and the transitions it must cause, written
// "firing warning", "pending critical", "resolved", "flapping warning", comma-separated.
struct Step {
  int64_t t;
  double v;
  std::string expect;
};

struct Case {
  std::string name;
  AlertRule rule;
  std::vector<Step> steps;
};

std::string describe(const std::vector<AlertEvent>& events) {
  std::string out;
  for (const AlertEvent& e : events) {
    if (!out.empty()) out += ", ";
    out += to_string(e.state());
    if (e.state() != AlertState::kResolved) out += std::string(" ") + to_string(e.alert.severity);
  }
  return out;
}

SeriesLayout one_series() {
  SeriesLayout layout;
  layout.add({"x", "a", "p"});
  return layout;
}

void run(const Case& c) {
  SCOPED_TRACE(c.name);
  const SeriesLayout layout = one_series();
  AlertEngine engine({c.rule}, layout);
  for (const Step& s : c.steps) {
    const double row[] = {s.v};
    EXPECT_EQ(describe(engine.evaluate(s.t * 1000, row, nullptr)), s.expect)
        << "at t=" << s.t << "s, value " << s.v;
  }
}

const AlertCondition kAbove5{W, Comparison::kAbove, 5};

TEST(AlertFieldsTest, For) {
  const AlertRule r = rule({kAbove5}, [](AlertRule& x) { x.for_duration = 30s; });
  run({"pending, then firing once it held 30 s",
       r,
       {{0, 9, "pending warning"},
        {10, 9, ""},
        {29, 9, ""},
        {30, 9, "firing warning"},
        {40, 1, "resolved"}}});
  run({"a pending alert that clears never fires",
       r,
       {{0, 9, "pending warning"}, {10, 1, "resolved"}, {50, 1, ""}}});
  run({"a missing value neither fires nor cancels a pending alert",
       r,
       {{0, 9, "pending warning"}, {10, kNaN, ""}, {30, kNaN, ""}, {35, 9, "firing warning"}}});
  run({"escalation waits its own `for`",
       rule({kAbove5, {C, Comparison::kAtLeast, 10}}, [](AlertRule& x) { x.for_duration = 10s; }),
       {{0, 6, "pending warning"},
        {10, 6, "firing warning"},
        {15, 12, ""},
        {24, 12, ""},
        {25, 12, "resolved, firing critical"}}});
}

TEST(AlertFieldsTest, Clear) {
  const AlertRule r = rule({kAbove5}, [](AlertRule& x) { x.clear[0] = 3; });
  run({"resolves at the clear level, not at the threshold",
       r,
       {{0, 6, "firing warning"},
        {1, 4.9, ""},
        {2, 5.1, ""},
        {3, 3.5, ""},
        {4, 3, "resolved"},
        {5, 4.9, ""}}});
  run({"a downward rule clears upward",
       rule({{W, Comparison::kBelow, 80}}, [](AlertRule& x) { x.clear[0] = 85; }),
       {{0, 70, "firing warning"}, {1, 84, ""}, {2, 85, "resolved"}}});
  run({"per-severity clear levels step down through warning",
       rule({kAbove5, {C, Comparison::kAtLeast, 10}},
            [](AlertRule& x) {
              x.clear = {4.0, 8.0};
            }),
       {{0, 12, "firing critical"},
        {1, 9, ""},
        {2, 8, "resolved, firing warning"},
        {3, 4.5, ""},
        {4, 4, "resolved"}}});
  // The README screenshot's complaint: a value wandering around the threshold.
  std::vector<Step> wandering;
  for (int i = 0; i < 40; ++i)
    wandering.push_back({i, i % 2 ? 4.9 : 5.1, i == 0 ? "firing warning" : ""});
  run({"a value wandering around the threshold is one alert", r, wandering});
}

TEST(AlertFieldsTest, KeepFiringFor) {
  const AlertRule r = rule({kAbove5}, [](AlertRule& x) { x.keep_firing_for = 20s; });
  run({"stays firing after it clears, and a return restarts the wait",
       r,
       {{0, 9, "firing warning"},
        {10, 1, ""},
        {20, 9, ""},
        {30, 1, ""},
        {49, 1, ""},
        {50, 1, "resolved"}}});
  run({"missing values do not stop the wait",
       r,
       {{0, 9, "firing warning"}, {10, 1, ""}, {20, kNaN, ""}, {30, 1, "resolved"}}});
}

TEST(AlertFieldsTest, AbsentFor) {
  const AlertRule r = rule({kAbove5}, [](AlertRule& x) { x.absent_for = 30s; });
  run({"no value for 30 s fires; a value resolves it",
       r,
       {{0, 1, ""},
        {10, kNaN, ""},
        {30, kNaN, ""},
        {40, kNaN, "firing warning"},
        {50, kNaN, ""},
        {60, 1, "resolved"}}});
  run({"the returning value may fire at once",
       r,
       {{0, kNaN, ""}, {30, kNaN, "firing warning"}, {35, 9, "resolved, firing warning"}}});
  run({"a threshold alert stays as it is while data is missing",
       r,
       {{0, 9, "firing warning"},
        {10, kNaN, ""},
        {100, kNaN, ""},
        {110, 9, ""},
        {120, 1, "resolved"}}});
  run({"absent replaces a pending alert",
       rule({kAbove5},
            [](AlertRule& x) {
              x.absent_for = 20s;
              x.for_duration = 1min;
              x.absent_severity = C;
            }),
       {{0, 9, "pending warning"}, {10, kNaN, ""}, {30, kNaN, "resolved, firing critical"}}});
  run({"a rule of absent_for alone",
       rule({}, [](AlertRule& x) { x.absent_for = 10s; }),
       {{0, 1, ""}, {5, kNaN, ""}, {15, kNaN, "firing warning"}, {20, 7, "resolved"}}});
}

TEST(AlertFieldsTest, NaNInsideAnEpisodeKeepsItActive) {
  // "One TWS outage under CPU load gave 9 alerts": overrun ticks leave tws_connected missing
  // between zeros. The outage is one alert, resolved once when the engine answers again.
  const AlertRule r = rule({{C, Comparison::kEquals, 0}});
  std::vector<Step> outage = {{0, 1, ""}, {5, 0, "firing critical"}};
  const double during[] = {kNaN, 0, kNaN, kNaN, 0,    kNaN, 0,    0,
                           kNaN, 0, kNaN, kNaN, kNaN, 0,    kNaN, 0};
  int64_t t = 10;
  for (double v : during) outage.push_back({t += 5, v, ""});
  outage.push_back({t += 5, 1, "resolved"});
  run({"outage with missing samples", r, outage});
}

TEST(AlertFieldsTest, Flapping) {
  const AlertRule r = rule({kAbove5}, [](AlertRule& x) { x.flapping = FlapDetection{}; });
  // Nagios' weights: five changes in a row weigh 29.9 %, the sixth brings 35.5 % >= 30.
  std::vector<Step> steps = {{0, 1, ""},
                             {1, 9, "firing warning"},
                             {2, 1, "resolved"},
                             {3, 9, "firing warning"},
                             {4, 1, "resolved"},
                             {5, 9, "firing warning"},
                             {6, 1, "flapping warning"}};
  // Quiet while it flaps.
  for (int t = 7; t < 20; ++t) steps.push_back({t, t % 2 ? 9.0 : 1.0, ""});
  // Steady high: the changes age and lose weight until their share drops under 20 % (at t=34
  // the last five weigh 20.07 %, at t=35 the last four 15.8 %).
  for (int t = 20; t < 35; ++t) steps.push_back({t, 9, ""});
  steps.push_back({35, 9, "firing warning"});
  steps.push_back({36, 1, "resolved"});
  run({"notifies once as flapping, then settles firing", r, steps});

  // Steady low adds one more change (at t=20), so it settles a sample later.
  std::vector<Step> settle_ok = {steps.begin(), steps.begin() + 20};
  for (int t = 20; t < 36; ++t) settle_ok.push_back({t, 1, ""});
  settle_ok.push_back({36, 1, "resolved"});
  run({"settles resolved", r, settle_ok});

  std::vector<Step> banded;
  const AlertRule hysteresis = rule({kAbove5}, [](AlertRule& x) {
    x.flapping = FlapDetection{};
    x.clear[0] = 3;
  });
  for (int t = 0; t < 30; ++t)
    banded.push_back({t, t % 2 ? 4.9 : 5.1, t == 0 ? "firing warning" : ""});
  run({"with a clear level a wandering value does not flap", hysteresis, banded});

  // Two changes weigh 12.4 %, three 18.4 %.
  run({"custom thresholds",
       rule({kAbove5},
            [](AlertRule& x) {
              x.flapping = FlapDetection{13, 5};
            }),
       {{0, 1, ""}, {1, 9, "firing warning"}, {2, 1, "resolved"}, {3, 9, "flapping warning"}}});
}

TEST(AlertFieldsTest, Combinations) {
  run({"for + keep_firing_for + clear",
       rule({kAbove5},
            [](AlertRule& x) {
              x.for_duration = 10s;
              x.keep_firing_for = 10s;
              x.clear[0] = 3;
            }),
       {{0, 6, "pending warning"},
        {5, 4, ""},  // inside the clear band: still pending
        {10, 6, "firing warning"},
        {15, 2, ""},  // cleared: kept for 10 s
        {20, kNaN, ""},
        {25, 2, "resolved"}}});
  run({"for + absent_for",
       rule({kAbove5},
            [](AlertRule& x) {
              x.for_duration = 10s;
              x.absent_for = 10s;
            }),
       {{0, kNaN, ""},
        {10, kNaN, "firing warning"},
        {15, 9, "resolved, pending warning"},
        {25, 9, "firing warning"}}});
  run({"flapping + for: pending changes count too",
       rule({kAbove5},
            [](AlertRule& x) {
              x.for_duration = 1min;
              x.flapping = FlapDetection{13, 5};
            }),
       {{0, 1, ""}, {1, 9, "pending warning"}, {2, 1, "resolved"}, {3, 9, "flapping warning"}}});
}

TEST(AlertFieldsTest, EventsCarryRuleInstanceValueLevelAndTimes) {
  const SeriesLayout layout = one_series();
  AlertEngine engine({rule({kAbove5},
                           [](AlertRule& x) {
                             x.name = "x_high";
                             x.for_duration = 10s;
                           })},
                     layout);
  std::vector<AlertEvent> seen;
  engine.set_listener([&](const AlertEvent& e) { seen.push_back(e); });
  for (auto [t, v] : std::vector<std::pair<int64_t, double>>{{0, 7}, {10, 8}, {20, 2}}) {
    const double row[] = {v};
    engine.evaluate(t * 1000, row, nullptr);
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].sequence, 1u);
  EXPECT_EQ(seen[2].sequence, 3u);
  EXPECT_EQ(seen[0].previous, AlertState::kInactive);
  EXPECT_EQ(seen[1].previous, AlertState::kPending);
  EXPECT_EQ(seen[2].previous, AlertState::kFiring);
  EXPECT_EQ(seen[1].alert.rule, "x_high");
  EXPECT_EQ(seen[1].alert.instance, "a");
  EXPECT_EQ(seen[1].alert.threshold, 5);
  EXPECT_EQ(seen[1].value, 8);
  EXPECT_EQ(seen[1].alert.started_at_ms, 0);
  EXPECT_EQ(seen[1].alert.timestamp_ms, 10000);
  EXPECT_EQ(seen[2].value, 2);
  EXPECT_EQ(seen[2].alert.value, 8);  // the value that fired it
  EXPECT_EQ(seen[2].alert.resolved_at_ms, 20000);
  EXPECT_EQ(seen[2].alert.message, "x [a] is 8 (warning when > 5)");
  // Newest first, kept apart from the history of alerts that fired.
  const auto events = engine.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].sequence, 3u);
  ASSERT_EQ(engine.recent().size(), 1u);
  EXPECT_EQ(engine.recent()[0].state, AlertState::kResolved);
}

TEST(AlertFieldsTest, RuleOnOneInstance) {
  SeriesLayout layout;
  layout.add({"x", "a", "p"});
  layout.add({"x", "b", "p"});
  AlertEngine engine({rule({kAbove5}, [](AlertRule& x) { x.instance = "b"; })}, layout);
  const double row[] = {9, 9};
  const auto events = engine.evaluate(0, row, nullptr);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].alert.instance, "b");
}

TEST(AlertFieldsTest, AbsentAndFlappingMessages) {
  const SeriesLayout layout = one_series();
  AlertEngine engine({rule({kAbove5},
                           [](AlertRule& x) {
                             x.absent_for = 1min;
                             x.flapping = FlapDetection{12, 5};
                           })},
                     layout);
  const double missing[] = {kNaN};
  engine.evaluate(0, missing, nullptr);
  auto events = engine.evaluate(60000, missing, nullptr);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].alert.absent);
  EXPECT_TRUE(std::isnan(events[0].alert.value));
  EXPECT_EQ(events[0].alert.message, "x [a] has had no value for 1m (warning when absent for 1m)");
  for (double v : {1.0, 9.0, 1.0}) {
    const double row[] = {v};
    events = engine.evaluate(61000, row, nullptr);
  }
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state(), AlertState::kFlapping);
  EXPECT_THAT(events[0].alert.message, testing::StartsWith("x [a] is flapping: "));
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
// Default alert rules declared by plugins: read through the real loader, put in effect by the
// configuration, and calm enough that a noisy signal is one episode (issue 16).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <set>

#include "map_sink.hpp"
#include "plugin_host.hpp"
#include "resync/monitor.hpp"
#include "scripted_collector.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;

std::string fixture(const std::string& name) {
  return std::string(RESYNC_FIXTURE_DIR) + "/" + name + ".so";
}

// A plugin compiled against the 0.2 header (descriptions, no rules) keeps loading, with no rules.
TEST(PluginRulesTest, LoadsAPluginBuiltBeforeRulesWereAppended) {
  const auto plugin = Plugin::load(fixture("old_abi_v1_2"));
  // Smaller than today's descriptor: it ends before every field appended since 0.2.
  EXPECT_LE(plugin->table().struct_size, offsetof(resync_plugin_v1, presentation));
  EXPECT_LE(plugin->table().struct_size, offsetof(resync_plugin_v1, default_rules));
  ASSERT_EQ(plugin->series().size(), 2u);
  EXPECT_EQ(plugin->series()[1].unit, Unit::kSeconds);
  EXPECT_EQ(plugin->series()[1].current_field, "old.wait_seconds");
  EXPECT_TRUE(plugin->info().default_rules.empty());
  PluginCollector collector(plugin, "{}");
  test::MapSink sink;
  collector.collect(sink);
  EXPECT_EQ(sink.values.at("old_wait_seconds"), 12);
}

TEST(PluginRulesTest, RefusesARuleOnASeriesThePluginDoesNotDeclare) {
  EXPECT_THROW(
      {
        try {
          Plugin::load(fixture("fixture_bad_rule"));
        } catch (const PluginLoadError& e) {
          EXPECT_EQ(std::string(e.what()),
                    fixture("fixture_bad_rule") +
                        ": default rule 0: metric is not one of the plugin's series");
          throw;
        }
      },
      PluginLoadError);
}

// What `alerts:` and `default_alerts:` make of the declared rules.
TEST(PluginRulesTest, ConfigurationChoosesBetweenDefaultsAndItsOwnRules) {
  PluginInfo p;
  p.name = "p";
  p.default_rules = {{"p_value", {{Severity::kWarning, Comparison::kAbove, 1}}, {}, {}}};
  auto rules = [&](const std::string& yaml) {
    std::vector<std::string> metrics;
    const Config c = parse_config(yaml, ConfigFormat::kYaml, "t.yaml");
    for (const AlertRule& r : effective_alert_rules(c, {p, p})) metrics.push_back(r.metric);
    return metrics;
  };
  EXPECT_THAT(rules(""), testing::ElementsAre("p_value", "collector_up"))
      << "each plugin's once, then the host's";
  EXPECT_THAT(rules("default_alerts: false\n"), testing::IsEmpty());
  EXPECT_THAT(rules("alerts:\n  - {metric: q, above: {warning: 1}}\n"), testing::ElementsAre("q"));
  EXPECT_THAT(rules("default_alerts: true\nalerts: []\n"), testing::IsEmpty());
  EXPECT_THROW(parse_config("default_alerts: maybe\n", ConfigFormat::kYaml, "t.yaml"), ConfigError);
}

// Feeds one built plugin's default rules through a real Monitor on a 1 s grid the test owns,
// recording every alert transition. `value(metric, second)` gives the samples.
class Drive {
 public:
  using Value = std::function<double(const std::string& metric, int64_t second)>;
  static constexpr int64_t kT0 = 1'700'000'000'000;

  Drive(const std::string& plugin, Value value) {
    InstanceInfo info = test::built_plugin_instance(plugin);
    std::vector<std::string> series;
    for (const SeriesDescription& d : info.series) series.push_back(d.name);
    std::vector<std::unique_ptr<Collector>> collectors;
    collectors.push_back(
        std::make_unique<test::ScriptedCollector>([this, series, value](SampleSink& sink, int) {
          for (const std::string& s : series) sink.emit(s, value(s, now_));
        }));
    std::vector<InstanceInfo> instances;
    instances.push_back(std::move(info));
    monitor_ = std::make_unique<Monitor>(
        parse_config("interval: 1s\nwindow: 1h\n", ConfigFormat::kYaml, "t.yaml"),
        std::move(instances), std::move(collectors));
    monitor_->alerts().set_listener([this](const AlertEvent& e) { events_.push_back(e); });
  }

  /// Samples the seconds [from, to).
  void run(int64_t from, int64_t to) {
    for (now_ = from; now_ < to; ++now_) monitor_->sample_now(kT0 + now_ * 1000);
  }
  /// Episodes of `rule` that fired (became firing or flapping), by id.
  std::set<uint64_t> fired(const std::string& rule) const {
    std::set<uint64_t> ids;
    for (const AlertEvent& e : events_) {
      if (e.alert.rule == rule && e.alert.active()) ids.insert(e.alert.id);
    }
    return ids;
  }
  /// Seconds from the start of the grid to the first transition to firing of `rule`; -1 if none.
  int64_t first_firing(const std::string& rule) const {
    for (const AlertEvent& e : events_) {
      if (e.alert.rule == rule && e.state() == AlertState::kFiring) return (e.at_ms - kT0) / 1000;
    }
    return -1;
  }
  const std::vector<AlertEvent>& events() const { return events_; }
  const Monitor& monitor() const { return *monitor_; }

 private:
  int64_t now_ = 0;
  std::unique_ptr<Monitor> monitor_;
  std::vector<AlertEvent> events_;
};

// Uniform in [0, 18] with 0.01 steps, from a fixed linear congruential sequence: the error rate of
// issue 16's FastAPI app (steady traffic, about 10 % errors, wandering between 0 and 18 %).
double wandering(int64_t second) {
  uint64_t x = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(second + 1);
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 32;
  return static_cast<double>(x % 1801) / 100.0;
}

// Quiet for a minute, five minutes wandering across both thresholds, two minutes steady in the
// warning band, then quiet again.
double storm(const std::string& metric, int64_t s) {
  if (metric == "requests_per_sec") return 50;
  if (metric != "error_rate") return 0;
  if (s < 60 || s >= 480) return 0.5;
  return s < 360 ? wandering(s) : 7;
}

TEST(PluginRulesTest, AWanderingErrorRateIsOneEpisode) {
  Drive drive("api", storm);
  drive.run(0, 600);
  const std::set<uint64_t> fired = drive.fired("error_rate");
  RecordProperty("episodes", static_cast<int>(fired.size()));
  ASSERT_EQ(fired.size(), 1u);
  // It fired during the storm, escalated to critical and came down to warning in the same
  // episode, then resolved once the rate was quiet.
  std::vector<std::pair<AlertState, Severity>> path;
  int64_t fired_at = -1, resolved_at = -1;
  for (const AlertEvent& e : drive.events()) {
    if (e.alert.id != *fired.begin()) continue;
    path.emplace_back(e.state(), e.alert.severity);
    const int64_t at = (e.at_ms - Drive::kT0) / 1000;
    if (e.alert.active() && fired_at < 0) fired_at = at;
    if (e.state() == AlertState::kResolved) resolved_at = at;
  }
  RecordProperty("fired_after_s", static_cast<int>(fired_at - 60));
  RecordProperty("resolved_after_quiet_s", static_cast<int>(resolved_at - 480));
  EXPECT_GE(fired_at, 60);
  EXPECT_LT(fired_at, 120) << "a real problem is reported within a minute";
  EXPECT_THAT(path, testing::Contains(testing::Pair(testing::_, Severity::kCritical)));
  EXPECT_THAT(path, testing::Contains(testing::Pair(AlertState::kFiring, Severity::kWarning)));
  EXPECT_EQ(path.back().first, AlertState::kResolved);
  EXPECT_GE(resolved_at, 480);
  EXPECT_TRUE(drive.monitor().alerts().active().empty());
}

// The same signal under the original dashboard's bare thresholds: the storm issue 16 measured.
TEST(PluginRulesTest, TheBareThresholdsStormOnTheSameSignal) {
  std::vector<AlertRule> bare = test::built_plugin_instance("api").default_rules;
  for (AlertRule& r : bare) {
    r.for_duration = 0ms;
    r.clear = {};
    r.flapping.reset();
  }
  SeriesLayout layout;
  for (const SeriesDescription& d : test::built_plugin_instance("api").series)
    layout.add({d.name, "api", "api", d});
  AlertEngine engine(bare, layout);
  std::set<uint64_t> fired;
  std::vector<double> row(layout.size(), 0);
  for (int64_t s = 0; s < 600; ++s) {
    row[*layout.find("error_rate", "api")] = storm("error_rate", s);
    for (const AlertEvent& e : engine.evaluate(Drive::kT0 + s * 1000, row.data(), nullptr))
      if (e.alert.rule == "error_rate" && e.alert.active()) fired.insert(e.alert.id);
  }
  RecordProperty("episodes", static_cast<int>(fired.size()));
  EXPECT_GT(fired.size(), 50u);
}

TEST(PluginRulesTest, AnOutageFiresWithinAMinuteAsOneEpisode) {
  Drive drive("api", [](const std::string& metric, int64_t s) {
    if (metric != "error_rate") return 0.0;
    return s >= 60 && s < 300 ? 100.0 : 0.5;
  });
  drive.run(0, 400);
  EXPECT_EQ(drive.fired("error_rate").size(), 1u);
  const int64_t at = drive.first_firing("error_rate");
  RecordProperty("fired_after_s", static_cast<int>(at - 60));
  EXPECT_GE(at, 60);
  EXPECT_LE(at, 120);
  EXPECT_TRUE(drive.monitor().alerts().active().empty());
}

TEST(PluginRulesTest, ADisconnectedTwsEngineFiresWithinAMinute) {
  Drive drive("tws", [](const std::string& metric, int64_t s) {
    return metric == "tws_connected" ? (s >= 60 && s < 200 ? 0.0 : 1.0) : 0.0;
  });
  drive.run(0, 300);
  EXPECT_EQ(drive.fired("tws_connected").size(), 1u);
  const int64_t at = drive.first_firing("tws_connected");
  EXPECT_GE(at, 60);
  EXPECT_LE(at, 120);
}

}  // namespace
}  // namespace resync

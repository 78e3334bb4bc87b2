// SPDX-License-Identifier: MIT
// Every plugin this build produces, found in the plugin folder and loaded through the real loader:
// its table, the series descriptions and default rules the rest of resync-mon is driven by, and one
// collect(). Names no plugin: those needing options get them from tests/data/contract/.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "http_targets.hpp"
#include "plugin_host.hpp"
#include "resync/catalog.hpp"
#include "resync/plugins.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

std::vector<PluginInfo> built_plugins() { return discover_plugins({test::plugin_build_dir()}); }

// The configurations of tests/data/contract/, by plugin name: the only place naming a plugin.
std::map<std::string, std::string> contract_configs(const std::string& www) {
  std::map<std::string, std::string> out;
  const std::filesystem::path dir = test::test_data_dir() + "/contract";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::string json = test::read_file(entry.path().string());
    for (const auto& [from, to] :
         {std::pair<std::string, std::string>{"@DATA@", test::test_data_dir()}, {"@WWW@", www}}) {
      for (size_t at; (at = json.find(from)) != std::string::npos;)
        json.replace(at, from.size(), to);
    }
    out.emplace(entry.path().stem().string(), json);
  }
  return out;
}

// Every name the plugin emits during one collect(), in order, repeats included.
struct RecordingSink final : SampleSink {
  void emit(std::string_view metric, double) override { names.emplace_back(metric); }
  std::vector<std::string> names;
};

TEST(PluginContractTest, EachContractConfigurationNamesABuiltPlugin) {
  std::set<std::string> built;
  for (const PluginInfo& p : built_plugins()) built.insert(p.name);
  const auto configs = contract_configs("http://127.0.0.1:1");
  ASSERT_FALSE(configs.empty());
  for (const auto& [name, json] : configs) EXPECT_EQ(built.count(name), 1u) << name;
}

// Created as a user would configure it and collected once, every plugin emits only series it
// declares, each once.
TEST(PluginContractTest, EveryPluginEmitsOnlyWhatItDeclares) {
  test::Nginx nginx;
  nginx.write_www("metrics", test::read_file(test::test_data_dir() + "/prom/resync_style.txt"));
  const auto configs = contract_configs(nginx.url(""));
  for (const PluginInfo& info : built_plugins()) {
    SCOPED_TRACE(info.path);
    const auto plugin = Plugin::load(info.path);
    const auto config = configs.find(info.name);
    if (config == configs.end()) {
      // No options given: it collects, or refuses as a configuration error naming the key.
      void* instance = nullptr;
      char err[512] = {0};
      const int rc = plugin->table().create("{}", &instance, err, sizeof err);
      if (rc == RESYNC_OK) {
        plugin->table().destroy(instance);
        continue;
      }
      EXPECT_EQ(rc, RESYNC_ERR_CONFIG) << err;
      EXPECT_THAT(err, testing::MatchesRegex("[a-z_]+: .+"));
      continue;
    }
    PluginCollector collector(plugin, config->second);
    RecordingSink sink;
    ASSERT_NO_THROW(collector.collect(sink));
    EXPECT_FALSE(sink.names.empty());
    std::set<std::string> declared, seen;
    for (const SeriesDescription& d : info.series) declared.insert(d.name);
    for (const std::string& name : sink.names) {
      EXPECT_EQ(declared.count(name), 1u) << name << " is emitted but not declared";
      EXPECT_TRUE(seen.insert(name).second) << name << " is emitted twice";
    }
  }
}

TEST(PluginContractTest, EveryPluginLoadsAndDescribesEverySeries) {
  const auto plugins = built_plugins();
  ASSERT_FALSE(plugins.empty());
  std::map<std::string, std::string> metric_owner, current_owner;
  for (const PluginInfo& p : plugins) {
    SCOPED_TRACE(p.path);
    EXPECT_EQ(p.error, "");
    EXPECT_EQ(p.abi_version, 1u);
    EXPECT_FALSE(p.description.empty());
    EXPECT_FALSE(p.series.empty());
    std::set<std::string> trend_sections;
    for (const SeriesDescription& d : p.series) {
      SCOPED_TRACE(d.name);
      EXPECT_FALSE(is_host_series(d.name)) << "the host yields it for every collector";
      EXPECT_TRUE(metric_owner.emplace(d.name, p.name).second)
          << "also declared by " << metric_owner[d.name];
      EXPECT_FALSE(d.help.empty());
      EXPECT_EQ(d.help.back(), '.') << "help is one sentence";
      if (d.kind == Kind::kCounter) {
        EXPECT_TRUE(d.unit == Unit::kCount || d.unit == Unit::kBytes || d.unit == Unit::kSeconds)
            << "a counter counts things, bytes or seconds";
      }
      if ((d.flags & series_flags::kHistoryIncrease) != 0) {
        EXPECT_EQ(d.kind, Kind::kCounter);
      }
      if (!d.current_field.empty()) {
        EXPECT_TRUE(current_owner.emplace(d.current_field, d.name).second)
            << d.current_field << " also filled by " << current_owner[d.current_field];
      }
      if ((d.flags & series_flags::kTrend) != 0) {
        ASSERT_FALSE(d.current_field.empty()) << "a trend belongs to a /current section";
        EXPECT_TRUE(
            trend_sections.insert(d.current_field.substr(0, d.current_field.rfind('.'))).second);
      }
    }
    // Defaults are product decisions: calm enough not to storm, quick enough for an outage.
    for (const AlertRule& r : p.default_rules) {
      SCOPED_TRACE(describe(r));
      EXPECT_GT(r.for_duration.count(), 0);
      EXPECT_LE(r.for_duration, std::chrono::minutes{1});
      EXPECT_TRUE(r.flapping.has_value());
    }
    if (!p.status_field.empty()) {
      EXPECT_TRUE(current_owner.emplace(p.status_field, p.name + " status").second);
    }
  }
}

// The descriptor table is what a host of another version reads: check the raw C side too.
TEST(PluginContractTest, RawTablesAreSizedAndParallel) {
  for (const PluginInfo& info : built_plugins()) {
    SCOPED_TRACE(info.path);
    const auto plugin = Plugin::load(info.path);
    const resync_plugin_v1& t = plugin->table();
    EXPECT_EQ(t.struct_size, sizeof(resync_plugin_v1));
    ASSERT_NE(t.series_desc, nullptr);
    EXPECT_EQ(t.series_desc_size, sizeof(resync_series_desc));
    for (uint32_t i = 0; i < t.series_count; ++i) EXPECT_STREQ(t.series[i], t.series_desc[i].name);
    EXPECT_EQ(t.default_rule_size, sizeof(resync_alert_rule));
    EXPECT_EQ(t.default_rule_count, info.default_rules.size());
  }
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
// Every plugin this build produces, loaded through the real loader: its table and the series
// descriptions the rest of resync-mon is driven by.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "plugin_host.hpp"
#include "resync/catalog.hpp"
#include "resync/plugins.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

std::vector<PluginInfo> built_plugins() { return discover_plugins({test::plugin_build_dir()}); }

TEST(PluginContractTest, TheBuildProducesEveryBundledPlugin) {
  std::set<std::string> names;
  for (const PluginInfo& p : built_plugins()) names.insert(p.name);
  for (const char* bundled : {"agents", "api", "cache", "system", "tws"})
    EXPECT_EQ(names.count(bundled), 1u) << bundled;
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
  }
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
#include "plugin_host.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "map_sink.hpp"
#include "resync/error.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;
using testing::ElementsAre;

std::string fixture(const std::string& name) {
  return std::string(RESYNC_FIXTURE_DIR) + "/" + name + ".so";
}

// The message of the PluginLoadError that loading `path` throws, or "" if it loads.
std::string load_error(const std::string& path) {
  try {
    Plugin::load(path);
  } catch (const PluginLoadError& e) {
    EXPECT_EQ(e.exit_code(), kExitPlugin);
    return e.what();
  }
  return "";
}

using test::MapSink;

TEST(PluginHostTest, LoadsTheFixtureAndReadsItsDescriptor) {
  const auto plugin = Plugin::load(fixture("fixture"));
  EXPECT_EQ(plugin->name(), "fixture");
  EXPECT_EQ(plugin->abi_version(), RESYNC_PLUGIN_ABI_VERSION);
  EXPECT_EQ(plugin->path(), fixture("fixture"));
  EXPECT_EQ(plugin->description(), "Test fixture: fails, hangs or emits as its options say");
  EXPECT_THAT(
      test::series_names(plugin->series()),
      ElementsAre("fixture_calls", "fixture_wall_ms", "fixture_s0", "fixture_s1", "fixture_s2",
                  "fixture_s3", "fixture_s4", "fixture_s5", "fixture_s6", "fixture_s7"));
}

TEST(PluginHostTest, RefusesAnotherAbiVersionNamingTheFile) {
  const std::string path = fixture("fixture_abi2");
  EXPECT_EQ(load_error(path),
            path + ": built for plugin ABI version 2, this resync-mon needs version 1");
}

TEST(PluginHostTest, RefusesAMissingEntrySymbolNamingTheFile) {
  const std::string path = fixture("fixture_no_entry");
  EXPECT_EQ(load_error(path),
            path + ": missing symbol resync_plugin_entry; not a resync-mon plugin");
}

TEST(PluginHostTest, RefusesANullCallbackNamingTheFile) {
  const std::string path = fixture("fixture_null_callback");
  EXPECT_EQ(load_error(path),
            path + ": descriptor of plugin 'fixture_null_callback' has a null callback");
}

TEST(PluginHostTest, RefusesAFileThatIsNotASharedLibraryNamingTheFile) {
  test::TempDir dir;
  const std::string path = dir.file("bogus.so");
  test::write_file(path,
                   "This is a text file that only pretends to be a plugin by its name.\n"
                   "dlopen must refuse it, and the host must say which file it was.\n");
  EXPECT_EQ(load_error(path),
            path + ": cannot load shared library: " + path + ": invalid ELF header");
}

TEST(PluginHostTest, RefusesAMissingFileNamingIt) {
  test::TempDir dir;
  const std::string path = dir.file("absent.so");
  EXPECT_EQ(load_error(path), path + ": cannot load shared library: " + path +
                                  ": cannot open shared object file: No such file or directory");
}

TEST(PluginHostTest, LoadsByNameFromTheFirstDirectoryThatHasIt) {
  test::TempDir empty;
  const PluginHost host({empty.path(), RESYNC_FIXTURE_DIR});
  const auto plugin = host.load("fixture");
  EXPECT_EQ(plugin->path(), fixture("fixture"));
}

TEST(PluginHostTest, MissingPluginListsTheDirectoriesSearched) {
  test::TempDir a, b;
  const PluginHost host({a.path(), b.path()});
  try {
    host.load("nope");
    FAIL() << "loaded a plugin that does not exist";
  } catch (const PluginLoadError& e) {
    EXPECT_EQ(std::string(e.what()),
              "no plugin 'nope' (looked for nope.so in " + a.path() + ", " + b.path() + ")");
  }
}

TEST(PluginHostTest, RefusesAFileWhoseNameDiffersFromThePluginName) {
  test::TempDir dir;
  fs::copy_file(fixture("fixture"), dir.file("other.so"));
  const PluginHost host({dir.path()});
  try {
    host.load("other");
    FAIL() << "loaded a plugin under another name";
  } catch (const PluginLoadError& e) {
    EXPECT_EQ(std::string(e.what()),
              dir.file("other.so") + ": declares plugin name 'fixture', expected 'other'");
  }
}

TEST(PluginHostTest, DiscoverListsGoodAndBrokenPlugins) {
  test::TempDir dir;
  fs::copy_file(fixture("fixture"), dir.file("fixture.so"));
  fs::copy_file(fixture("fixture_abi2"), dir.file("fixture_abi2.so"));
  test::write_file(dir.file("bogus.so"),
                   "not a library, just text long enough to be read as a header\n");
  test::write_file(dir.file("readme.txt"), "ignored: not a .so\n");
  const PluginHost host({dir.path(), RESYNC_FIXTURE_DIR});
  const auto found = host.discover();
  std::vector<std::string> paths;
  for (const auto& f : found) paths.push_back(f.path);
  // The temp folder first, by name; then the fixture folder less the names already found.
  EXPECT_THAT(paths, ElementsAre(dir.file("bogus.so"), dir.file("fixture.so"),
                                 dir.file("fixture_abi2.so"), fixture("fixture_bad_rule"),
                                 fixture("fixture_no_entry"), fixture("fixture_null_callback"),
                                 fixture("old_abi"), fixture("old_abi_v1_2")));
  ASSERT_EQ(found.size(), 8u);
  EXPECT_EQ(found[0].plugin, nullptr);
  EXPECT_THAT(found[0].error,
              testing::StartsWith(dir.file("bogus.so") + ": cannot load shared library: "));
  ASSERT_NE(found[1].plugin, nullptr);
  EXPECT_EQ(found[1].plugin->name(), "fixture");
  EXPECT_EQ(found[2].error,
            dir.file("fixture_abi2.so") +
                ": built for plugin ABI version 2, this resync-mon needs version 1");
  EXPECT_EQ(found[3].plugin, nullptr);
  EXPECT_EQ(found[4].plugin, nullptr);
  EXPECT_EQ(found[5].plugin, nullptr);
  EXPECT_NE(found[6].plugin, nullptr);
  EXPECT_NE(found[7].plugin, nullptr);
}

TEST(PluginHostTest, ReadsTheSeriesDescriptionsAndStatusField) {
  const auto plugin = Plugin::load(fixture("fixture"));
  ASSERT_EQ(plugin->series().size(), 10u);
  const SeriesDescription& wall = plugin->series()[1];
  EXPECT_EQ(wall.name, "fixture_wall_ms");
  EXPECT_EQ(wall.unit, Unit::kMilliseconds);
  EXPECT_EQ(wall.kind, Kind::kGauge);
  EXPECT_EQ(wall.help, "Wall clock when collect() started.");
  EXPECT_EQ(wall.current_field, "fixture.fixture_wall_ms");
  EXPECT_EQ(plugin->info().status_field, "fixture.status");
}

// A plugin compiled against the header as first published (no appended fields) keeps loading;
// its series become unitless gauges with a generic help text, and it still collects.
TEST(PluginHostTest, LoadsAPluginBuiltAgainstTheFirstAbiHeader) {
  const auto plugin = Plugin::load(fixture("old_abi"));
  EXPECT_EQ(plugin->name(), "old_abi");
  ASSERT_EQ(plugin->series().size(), 1u);
  EXPECT_EQ(plugin->series()[0].name, "old_value");
  EXPECT_EQ(plugin->series()[0].unit, Unit::kCount);
  EXPECT_EQ(plugin->series()[0].kind, Kind::kGauge);
  EXPECT_EQ(plugin->series()[0].help, "Series old_value of plugin old_abi.");
  EXPECT_EQ(plugin->series()[0].current_field, "");
  EXPECT_EQ(plugin->info().status_field, "");
  PluginCollector collector(plugin, "{}");
  MapSink sink;
  collector.collect(sink);
  EXPECT_EQ(sink.values.at("old_value"), 42);
}

// A plugin compiled against the 0.2 header (descriptions, no presentation hints) keeps loading:
// its descriptor ends before `presentation`, which the host must not read.
TEST(PluginHostTest, LoadsAPluginBuiltBeforePresentationHints) {
  const auto plugin = Plugin::load(fixture("old_abi_v1_2"));
  ASSERT_EQ(plugin->series().size(), 2u);
  const SeriesDescription& wait = plugin->series()[1];
  EXPECT_EQ(wait.unit, Unit::kSeconds);
  EXPECT_EQ(wait.current_field, "old.wait_seconds");
  EXPECT_EQ(wait.card, "");
  EXPECT_EQ(wait.label, "");
  EXPECT_EQ(wait.chart, "");
  EXPECT_EQ(wait.hint_flags, 0u);
  EXPECT_EQ(wait.order, 0);
  PluginCollector collector(plugin, "{}");
  MapSink sink;
  collector.collect(sink);
  EXPECT_EQ(sink.values.at("old_depth"), 7);
}

// The bundled plugins' hints reach the descriptions: title, label, chart, headline and order.
TEST(PluginHostTest, ReadsPresentationHints) {
  const auto plugin = Plugin::load(test::plugin_build_dir() + "/api.so");
  const auto& series = plugin->series();
  const auto p95 = std::find_if(series.begin(), series.end(),
                                [](const auto& d) { return d.name == "response_time_p95"; });
  ASSERT_NE(p95, series.end());
  EXPECT_EQ(p95->card, "Latency");
  EXPECT_EQ(p95->label, "p95");
  EXPECT_EQ(p95->chart, "Latency");
  EXPECT_EQ(p95->hint_flags, hint_flags::kHeadline);
  EXPECT_GT(p95->order, 0);
}

TEST(PluginHostTest, DefaultSearchOrder) {
  EXPECT_THAT(PluginHost::default_search_dirs("/opt/plugins"), ElementsAre("/opt/plugins"));
  // The folders beside the binary are searched only where they exist (issue 15: an installed
  // /usr/bin/resync-mon listed /usr/bin/plugins); the install prefix's always.
  const fs::path exe = fs::read_symlink("/proc/self/exe").parent_path();
  const fs::path beside = exe / "plugins";
  const fs::path lib = exe.parent_path() / "lib" / "resync-mon" / "plugins";
  auto dirs = PluginHost::default_search_dirs("");
  ASSERT_FALSE(fs::exists(beside));
  EXPECT_THAT(dirs, testing::Not(testing::Contains(beside.string())));
  EXPECT_THAT(dirs.back(), testing::EndsWith("/lib/resync-mon/plugins"));
  fs::create_directory(beside);
  dirs = PluginHost::default_search_dirs("");
  fs::remove(beside);
  ASSERT_GE(dirs.size(), 2u);
  EXPECT_EQ(dirs[0], beside.string());
  EXPECT_EQ(fs::exists(lib), std::find(dirs.begin(), dirs.end(), lib.string()) != dirs.end());
}

TEST(PluginCollectorTest, CollectsThroughTheCTable) {
  const auto plugin = Plugin::load(fixture("fixture"));
  PluginCollector collector(plugin,
                            R"({"name":"f","interval_ms":1000,"timeout_ms":500,"samples":2})");
  MapSink sink;
  collector.collect(sink);
  EXPECT_EQ(sink.values.at("fixture_calls"), 1);
  EXPECT_EQ(sink.values.at("fixture_s0"), 100);
  EXPECT_EQ(sink.values.at("fixture_s1"), 101);
  EXPECT_EQ(sink.values.count("fixture_s2"), 0u);
  EXPECT_EQ(collector.status(), "ok");
  collector.collect(sink);
  EXPECT_EQ(sink.values.at("fixture_calls"), 2);
}

TEST(PluginCollectorTest, TwoInstancesKeepTheirOwnState) {
  const auto plugin = Plugin::load(fixture("fixture"));
  PluginCollector a(plugin, "{}"), b(plugin, "{}");
  MapSink sink_a, sink_b;
  a.collect(sink_a);
  a.collect(sink_a);
  b.collect(sink_b);
  EXPECT_EQ(sink_a.values.at("fixture_calls"), 2);
  EXPECT_EQ(sink_b.values.at("fixture_calls"), 1);
}

TEST(PluginCollectorTest, CollectFailureBecomesCollectErrorWithThePluginsMessage) {
  const auto plugin = Plugin::load(fixture("fixture"));
  PluginCollector collector(plugin, R"({"fail_first":1})");
  MapSink sink;
  try {
    collector.collect(sink);
    FAIL() << "collect() should have failed";
  } catch (const CollectError& e) {
    EXPECT_EQ(std::string(e.what()), "fixture: failing as configured (call 1)");
  }
  EXPECT_EQ(collector.status(), "failing");
  EXPECT_TRUE(sink.values.empty());
  EXPECT_NO_THROW(collector.collect(sink));
  EXPECT_EQ(sink.values.at("fixture_calls"), 2);
}

TEST(PluginCollectorTest, CreateErrorNamesTheKey) {
  const auto plugin = Plugin::load(fixture("fixture"));
  auto create_error = [&](const std::string& json) -> std::string {
    try {
      PluginCollector collector(plugin, json);
    } catch (const PluginLoadError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(create_error(R"({"samples":9})"),
            "samples: expected a whole number from 0 to 8, got 9");
  EXPECT_EQ(create_error(R"({"fail":"sometimes"})"),
            "fail: expected true or false, got \"sometimes\"");
  EXPECT_EQ(create_error(R"({"sleeep_ms":5})"),
            "sleeep_ms: unknown key; expected one of plugin, name, timeout, isolation, crash, "
            "create_sleep_ms, fail, "
            "fail_first, garbage_fd, mode_file, samples, sleep_first, sleep_ms, trace_file");
  EXPECT_THAT(create_error("[1,2]"), testing::StartsWith("(options): not a JSON object"));
}

}  // namespace
}  // namespace resync

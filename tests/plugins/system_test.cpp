// SPDX-License-Identifier: MIT
// The system collector through the real loader, reading /proc files captured on a real host
// (tests/data/proc/); stat.later is the same host's counters 1000 jiffies later.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "http_targets.hpp"
#include "map_sink.hpp"
#include "plugin_host.hpp"
#include "resync/error.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;

using test::MapSink;

std::shared_ptr<const Plugin> system_plugin() {
  return Plugin::load(test::plugin_build_dir() + "/system.so");
}

// A writable copy of the captured /proc tree.
class ProcCopy {
 public:
  ProcCopy() {
    fs::copy(test::test_data_dir() + "/proc", dir_.path(), fs::copy_options::recursive);
  }
  const std::string& root() const { return dir_.path(); }
  std::string options() const { return R"({"name":"system","proc_root":")" + root() + R"("})"; }
  void use_later_stat() const {
    fs::copy_file(root() + "/stat.later", root() + "/stat", fs::copy_options::overwrite_existing);
  }

 private:
  test::TempDir dir_{"resync-proc"};
};

TEST(SystemPluginTest, DescriptorListsTheSpecSeries) {
  const auto plugin = system_plugin();
  EXPECT_EQ(plugin->name(), "system");
  EXPECT_EQ(plugin->abi_version(), 1u);
  EXPECT_THAT(test::series_names(plugin->series()),
              testing::ElementsAre("system_uptime", "system_availability",
                                   "async_operations_active", "host_cpu_percent",
                                   "host_memory_percent", "host_load1", "process_rss_bytes"));
}

TEST(SystemPluginTest, ReadsCapturedProcFiles) {
  const ProcCopy proc;
  PluginCollector collector(system_plugin(), proc.options());
  MapSink sink;
  collector.collect(sink);
  // MemTotal 24683620 kB, MemAvailable 24344032 kB.
  EXPECT_DOUBLE_EQ(sink.values.at("host_memory_percent"),
                   100.0 * (24683620.0 - 24344032.0) / 24683620.0);
  EXPECT_DOUBLE_EQ(sink.values.at("host_load1"), 0.15);
  EXPECT_DOUBLE_EQ(sink.values.at("system_uptime"), 942.17);
  EXPECT_DOUBLE_EQ(sink.values.at("process_rss_bytes"), 1704.0 * 1024);
  // CPU needs two readings; the first has no baseline.
  EXPECT_TRUE(std::isnan(sink.values.at("host_cpu_percent")));
  // Without a health_url the sampler derives availability; the plugin does not emit it.
  EXPECT_EQ(sink.values.count("system_availability"), 0u);
}

TEST(SystemPluginTest, CpuPercentFromTwoCaptures) {
  const ProcCopy proc;
  PluginCollector collector(system_plugin(), proc.options());
  MapSink sink;
  collector.collect(sink);
  proc.use_later_stat();
  collector.collect(sink);
  // 1000 jiffies passed: user +150, system +45, softirq +5 busy; idle +780, iowait +20 idle.
  EXPECT_DOUBLE_EQ(sink.values.at("host_cpu_percent"), 20.0);
  // No time passed at all: no figure rather than a division by zero.
  collector.collect(sink);
  EXPECT_TRUE(std::isnan(sink.values.at("host_cpu_percent")));
}

TEST(SystemPluginTest, MissingProcFileIsACollectErrorNamingIt) {
  const ProcCopy proc;
  fs::remove(proc.root() + "/meminfo");
  PluginCollector collector(system_plugin(), proc.options());
  MapSink sink;
  try {
    collector.collect(sink);
    FAIL() << "collect() should fail without meminfo";
  } catch (const CollectError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read " + proc.root() + "/meminfo");
  }
}

TEST(SystemPluginTest, MalformedStatIsACollectErrorNamingIt) {
  const ProcCopy proc;
  test::write_file(proc.root() + "/stat", "intr 1 2 3\n");
  PluginCollector collector(system_plugin(), proc.options());
  MapSink sink;
  try {
    collector.collect(sink);
    FAIL() << "collect() should fail on a stat without the cpu line";
  } catch (const CollectError& e) {
    EXPECT_EQ(std::string(e.what()), proc.root() + "/stat: first line is not the cpu total");
  }
}

TEST(SystemPluginTest, ReadsTheRealProc) {
  PluginCollector collector(system_plugin(), R"({"name":"system"})");
  MapSink sink;
  collector.collect(sink);
  EXPECT_GT(sink.values.at("host_memory_percent"), 0);
  EXPECT_LT(sink.values.at("host_memory_percent"), 100);
  EXPECT_GT(sink.values.at("system_uptime"), 0);
  EXPECT_GT(sink.values.at("process_rss_bytes"), 1024 * 1024);  // this test process
  EXPECT_GE(sink.values.at("host_load1"), 0);
}

TEST(SystemPluginTest, RejectsBadOptionsByKey) {
  const auto plugin = system_plugin();
  auto create_error = [&](const std::string& json) { return test::create_error(plugin, json); };
  EXPECT_EQ(
      create_error(R"({"proc_rot":"/proc"})"),
      "proc_rot: unknown key; expected one of plugin, name, timeout, isolation, health_timeout, "
      "health_url, proc_root");
  EXPECT_EQ(create_error(R"({"timeout_ms":1000,"health_timeout":"2s"})"),
            "health_timeout: must be shorter than the collector's timeout");
  EXPECT_EQ(create_error(R"({"health_timeout":"soon"})"),
            "health_timeout: expected a duration like \"5s\", got \"soon\"");
  EXPECT_THAT(create_error(R"({"health_url":"ftp://x"})"), testing::StartsWith("health_url: "));
}

}  // namespace
}  // namespace resync

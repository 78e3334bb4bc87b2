// SPDX-License-Identifier: MIT
// The `collectors:` section: instance names, deadlines, isolation, the options a plugin receives
// as JSON, and the errors only a loaded plugin can give (through Monitor, which loads them).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "config_test_util.hpp"
#include "resync/config.hpp"
#include "resync/error.hpp"
#include "resync/monitor.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using test::config_error;

TEST(ConfigCollectorsTest, IsolationDefaultsInProcessAndEntriesOverrideTheTopLevel) {
  const Config plain = parse_config("collectors:\n  - plugin: system\n", ConfigFormat::kYaml, "t");
  EXPECT_EQ(plain.collectors[0].isolation, Isolation::kInProcess);
  const Config c = parse_config(
      "isolation: process\ncollectors:\n  - plugin: system\n"
      "  - {plugin: system, name: inside, isolation: in-process}\n",
      ConfigFormat::kYaml, "t");
  EXPECT_EQ(c.collectors[0].isolation, Isolation::kProcess);
  EXPECT_EQ(c.collectors[1].isolation, Isolation::kInProcess);
  EXPECT_EQ(c.collectors[0].options_json.find("isolation"), std::string::npos)
      << "a host key, not the plugin's";
  EXPECT_EQ(config_error("collectors:\n  - plugin: system\n    isolation: sandbox\n"),
            "test.yaml:3: collectors[0].isolation: expected \"in-process\" or \"process\", got "
            "\"sandbox\"");
  EXPECT_EQ(config_error("isolation = \"fork\"\n", ConfigFormat::kToml),
            "test.toml:1: isolation: expected \"in-process\" or \"process\", got \"fork\"");
}

TEST(ConfigCollectorsTest, DuplicateInstanceNames) {
  EXPECT_EQ(config_error("collectors:\n  - plugin: system\n  - plugin: system\n"),
            "test.yaml:3: collectors[1].name: collector name \"system\" is already used by "
            "collectors[0]; give each "
            "instance a distinct name");
  EXPECT_EQ(
      config_error(
          "collectors:\n  - {plugin: cache, name: redis}\n  - {plugin: tws, name: redis}\n"),
      "test.yaml:3: collectors[1].name: collector name \"redis\" is already used by collectors[0]; "
      "give each "
      "instance a distinct name");
  EXPECT_EQ(
      config_error("collectors:\n  - {plugin: cache, name: \"red is\"}\n"),
      "test.yaml:2: collectors[0].name: expected letters, digits, '_', '.' or '-', got \"red is\"");
}

TEST(ConfigCollectorsTest, TimeoutLongerThanTheInterval) {
  EXPECT_EQ(config_error("interval: 1s\ncollectors:\n  - {plugin: system, timeout: 2s}\n"),
            "test.yaml:3: collectors[0].timeout: 2s must not exceed the interval (1s)");
  // Without a timeout the deadline is min(2 s, interval).
  const Config c =
      parse_config("interval: 500ms\ncollectors:\n  - plugin: system\n", ConfigFormat::kYaml, "t");
  EXPECT_EQ(c.collectors[0].timeout, 500ms);
}

TEST(ConfigCollectorsTest, ScalarTypesReachThePluginAsJsonTypes) {
  const Config c = parse_config(
      "collectors:\n  - plugin: x\n    a: 12\n    b: \"12\"\n    c: true\n    d: 'true'\n    e: "
      "~\n    f: -1.5e3\n    "
      "g: 1.2.3\n",
      ConfigFormat::kYaml, "t");
  EXPECT_EQ(
      test::canonical_json(c.collectors[0].options_json),
      R"({"a":12,"b":"12","c":true,"d":"true","e":null,"f":-1500,"g":"1.2.3","interval_ms":5000,"name":"x",)"
      R"("timeout_ms":2000,"window_ms":7200000})");
}

// The errors that need plugins come from Monitor, which loads them.
class MonitorConfigTest : public testing::Test {
 protected:
  std::string monitor_error(const std::string& yaml, int* exit_code) {
    test::write_file(file_, yaml);
    try {
      Monitor monitor(load_config(file_));
    } catch (const Error& e) {
      *exit_code = e.exit_code();
      return e.what();
    }
    return "";
  }
  test::TempDir dir_;
  const std::string file_ = dir_.file("resync.yaml");
};

TEST_F(MonitorConfigTest, MissingPluginNamesFileLineAndKey) {
  test::TempDir empty;
  int code = 0;
  EXPECT_EQ(
      monitor_error("plugin_dir: " + empty.path() + "\ncollectors:\n  - plugin: nope\n", &code),
      file_ + ":3: collectors[0].plugin: no plugin 'nope' (looked for nope.so in " + empty.path() +
          ")");
  EXPECT_EQ(code, kExitPlugin);
}

TEST_F(MonitorConfigTest, BrokenPluginNamesFileLineKeyAndTheSo) {
  int code = 0;
  test::TempDir dir;
  std::filesystem::copy_file(std::string(RESYNC_FIXTURE_DIR) + "/fixture_abi2.so",
                             dir.file("fixture.so"));
  EXPECT_EQ(
      monitor_error("plugin_dir: " + dir.path() + "\ncollectors:\n  - plugin: fixture\n", &code),
      file_ + ":3: collectors[0].plugin: " + dir.file("fixture.so") +
          ": built for plugin ABI version 2, this resync-mon needs version 1");
  EXPECT_EQ(code, kExitPlugin);
}

TEST_F(MonitorConfigTest, PluginOptionErrorNamesFileLineAndKey) {
  int code = 0;
  const std::string head =
      std::string("plugin_dir: ") + RESYNC_FIXTURE_DIR + "\ninterval: 1s\ncollectors:\n";
  EXPECT_EQ(monitor_error(head + "  - plugin: fixture\n    name: f1\n    samples: 9\n", &code),
            file_ + ":6: collectors[0].samples: expected a whole number from 0 to 8, got 9");
  EXPECT_EQ(code, kExitConfig);
  EXPECT_EQ(monitor_error(
                head + "  - plugin: fixture\n  - plugin: fixture\n    name: f2\n    sleeep_ms: 5\n",
                &code),
            file_ +
                ":7: collectors[1].sleeep_ms: unknown key; expected one of plugin, name, timeout, "
                "isolation, crash, "
                "create_sleep_ms, fail, fail_first, garbage_fd, mode_file, samples, sleep_first, "
                "sleep_ms, trace_file");
  EXPECT_EQ(code, kExitConfig);
}

TEST_F(MonitorConfigTest, SecretsNeverAppearInPluginErrors) {
  int code = 0;
  setenv("RESYNC_TEST_SECRET_TRACE", "hunter2", 1);
  const std::string error = monitor_error(
      std::string("plugin_dir: ") + RESYNC_FIXTURE_DIR +
          "\ncollectors:\n  - plugin: fixture\n    password: \"${RESYNC_TEST_SECRET_TRACE}\"\n",
      &code);
  unsetenv("RESYNC_TEST_SECRET_TRACE");
  EXPECT_THAT(error, testing::StartsWith(file_ + ":4: collectors[0].password: unknown key"));
  EXPECT_THAT(error, testing::Not(testing::HasSubstr("hunter2")));
}

}  // namespace
}  // namespace resync

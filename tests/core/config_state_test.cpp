// SPDX-License-Identifier: MIT
// The state file's keys: `state_save_interval` in YAML and TOML, its default and its bounds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "config_test_util.hpp"
#include "resync/config.hpp"
#include "resync/state_file.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;

using test::config_error;

std::chrono::milliseconds save_interval(const std::string& text, ConfigFormat format) {
  return parse_config(text, format, "test").state_save_interval;
}

TEST(ConfigStateTest, SaveIntervalDefaultsToAMinute) {
  EXPECT_EQ(Config{}.state_save_interval, StateFile::kSaveEvery);
  EXPECT_EQ(save_interval("interval: 5s\n", ConfigFormat::kYaml), 60s);
  EXPECT_EQ(save_interval("", ConfigFormat::kToml), 60s);
}

TEST(ConfigStateTest, SaveIntervalReadsTheSameInYamlAndToml) {
  EXPECT_EQ(save_interval("state_save_interval: 5s\n", ConfigFormat::kYaml), 5s);
  EXPECT_EQ(save_interval("state_save_interval = \"2m\"\n", ConfigFormat::kToml), 2min);
  EXPECT_EQ(save_interval("state_save_interval: 1s\n", ConfigFormat::kYaml), 1s);
  EXPECT_EQ(save_interval("state_save_interval = \"1d\"\n", ConfigFormat::kToml), 24h);
  // Not tied to the sampling interval: a save may come less often than a sample, or more.
  EXPECT_EQ(
      save_interval("interval: 2m\nwindow: 1d\nstate_save_interval: 30s\n", ConfigFormat::kYaml),
      30s);
}

TEST(ConfigStateTest, SaveIntervalOutOfRangeNamesFileLineAndKey) {
  EXPECT_EQ(config_error("interval: 100ms\nstate_save_interval: 500ms\n"),
            "test.yaml:2: state_save_interval: must be from 1s to 1d, got 500ms");
  EXPECT_EQ(config_error("state_save_interval: 25h\n"),
            "test.yaml:1: state_save_interval: must be from 1s to 1d, got 25h");
  EXPECT_EQ(config_error("window = \"2h\"\nstate_save_interval = \"2d\"\n", ConfigFormat::kToml),
            "test.toml:2: state_save_interval: must be from 1s to 1d, got 2d");
  EXPECT_THAT(config_error("state_save_interval: often\n"),
              testing::StartsWith("test.yaml:1: state_save_interval: expected a duration"));
  EXPECT_THAT(config_error("state_save_interval = 60\n", ConfigFormat::kToml),
              testing::StartsWith("test.toml:1: state_save_interval: "));
}

}  // namespace
}  // namespace resync

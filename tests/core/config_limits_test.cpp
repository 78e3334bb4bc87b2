// SPDX-License-Identifier: MIT
// Hostile and oversized configuration files: each is refused with a file:line: key error (exit 3)
// in bounded time and memory, never a crash or an allocation that grows with the expansion.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "config_test_util.hpp"
#include "resync/config.hpp"
#include "resync/error.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using testing::HasSubstr;
using testing::StartsWith;

using test::config_error;

// Nine levels of nine aliases: 9^9 (387 million) scalars once expanded, from about 300 bytes.
std::string billion_laughs() {
  std::string text = "a: &a [x,x,x,x,x,x,x,x,x]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    text += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 9; ++i) text += std::string(i ? "," : "") + "*" + char(c - 1);
    text += "]\n";
  }
  return text;
}

TEST(ConfigLimitsTest, AliasBombIsRefusedBeforeExpansion) {
  const std::string bomb = billion_laughs();
  ASSERT_LT(bomb.size(), 400u);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(config_error(bomb),
            "test.yaml:5: e: the file holds more than 100000 values (aliases count once per use); "
            "refusing to "
            "expand it");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds{1});
}

TEST(ConfigLimitsTest, AliasOfLargeScalarsIsBoundedByBytes) {
  // Few nodes, but each alias copies 60 KB: the byte budget stops it.
  std::string text = "x: &x \"" + std::string(60000, 'v') + "\"\nl: [";
  for (int i = 0; i < 100; ++i) text += std::string(i ? "," : "") + "*x";
  text += "]\n";
  EXPECT_THAT(config_error(text), StartsWith("test.yaml:2: l["));
  EXPECT_THAT(config_error(text), HasSubstr("exceed 4194304 bytes (aliases count once per use)"));
}

TEST(ConfigLimitsTest, OrdinaryAliasesStillWork) {
  const Config c = parse_config(
      "interval: &i 10s\nwindow: *i\nalerts:\n  - &r {metric: error_rate, above: {warning: 5}}\n  "
      "- *r\n",
      ConfigFormat::kYaml, "t.yaml");
  EXPECT_EQ(c.window, std::chrono::seconds{10});
  ASSERT_EQ(c.alerts.size(), 2u);
  EXPECT_EQ(c.alerts[1].metric, "error_rate");
}

TEST(ConfigLimitsTest, AliasInsideItsOwnNodeIsAnError) {
  EXPECT_THAT(config_error("a: &a [1, *a]\n"), HasSubstr("alias"));
}

TEST(ConfigLimitsTest, DeepNestingIsRefusedWithoutRecursion) {
  std::string block, path;
  for (int i = 0; i < 100; ++i) {
    block += std::string(size_t(i), ' ') + "k:\n";
    if (i < 64) path += path.empty() ? "k" : ".k";
  }
  EXPECT_EQ(config_error(block), "test.yaml:65: " + path + ": nested more than 64 levels deep");
  std::string flow = "a: ";
  for (int i = 0; i < 100; ++i) flow += "[";
  for (int i = 0; i < 100; ++i) flow += "]";
  EXPECT_THAT(config_error(flow + "\n"), HasSubstr("nested more than 64 levels deep"));
  // Unbalanced, as a fuzzer writes it: refused without a stack overflow.
  EXPECT_THAT(config_error("a: " + std::string(100000, '[') + "\n"), StartsWith("test.yaml:1: a"));
  std::string toml = "a = ";
  for (int i = 0; i < 200; ++i) toml += "[";
  EXPECT_THAT(config_error(toml + "\n", ConfigFormat::kToml), StartsWith("test.toml:1"));
  std::string dotted = "x";
  for (int i = 0; i < 100; ++i) dotted += ".k";
  EXPECT_THAT(config_error(dotted + " = 1\n", ConfigFormat::kToml),
              HasSubstr("nested more than 64 levels deep"));
}

TEST(ConfigLimitsTest, TooManyNodes) {
  std::string text = "l: [";
  for (int i = 0; i < 100001; ++i) text += i ? ",1" : "1";
  EXPECT_THAT(config_error(text + "]\n"), HasSubstr("more than 100000 values"));
}

TEST(ConfigLimitsTest, HugeValuesAreErrorsNotCrashes) {
  // About 100 KB used to overflow the stack in std::regex (SIGSEGV) while checking a name, a
  // number or an environment variable name.
  const std::string big(100000, '1');
  EXPECT_EQ(config_error("interval: " + big + "\n"),
            "test.yaml:1: interval: value of 100000 bytes; at most 65536 are allowed");
  EXPECT_EQ(config_error("state_file = \"" + big + "\"\n", ConfigFormat::kToml),
            "test.toml:1: state_file: value of 100000 bytes; at most 65536 are allowed");
  // Just under the limit, each hand-written scanner sees the whole value.
  const std::string near(60000, 'a');
  EXPECT_THAT(config_error("interval: " + std::string(60000, '1') + "\n"),
              HasSubstr("interval: expected a duration"));
  EXPECT_THAT(config_error("collectors:\n  - {plugin: system, name: " + near + "!}\n"),
              HasSubstr("collectors[0].name: expected letters"));
  EXPECT_THAT(config_error("collectors:\n  - {plugin: " + near + "!}\n"),
              HasSubstr("collectors[0].plugin: expected a plugin"));
  EXPECT_THAT(config_error("state_file: \"${" + std::string(60000, 'A') + "}\"\n"),
              HasSubstr("state_file: environment variable AAAA"));
  EXPECT_THAT(config_error("state_file: \"${" + std::string(60000, '-') + "}\"\n"),
              HasSubstr("invalid environment variable name"));
}

TEST(ConfigLimitsTest, SubstitutionCannotGrowPastTheScalarLimit) {
  setenv("RESYNC_TEST_BIG", std::string(40000, 'b').c_str(), 1);
  EXPECT_EQ(config_error("state_file: \"${RESYNC_TEST_BIG}${RESYNC_TEST_BIG}\"\n"),
            "test.yaml:1: state_file: value of more than 65536 bytes after ${...} substitution");
  unsetenv("RESYNC_TEST_BIG");
}

TEST(ConfigLimitsTest, FileSizeIsBounded) {
  const std::string text = "# " + std::string(ConfigLimits::kFileBytes, 'x') + "\n";
  EXPECT_EQ(config_error(text), "test.yaml: file of 1048579 bytes; at most 1048576 are allowed");
  test::TempDir dir;
  test::write_file(dir.file("big.yaml"), text);
  try {
    load_config(dir.file("big.yaml"));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              dir.file("big.yaml") + ": file of 1048577 bytes; at most 1048576 are allowed");
  }
}

TEST(ConfigLimitsTest, CollectorAndRuleCounts) {
  std::string collectors = "collectors:\n";
  for (int i = 0; i < 257; ++i)
    collectors += "  - {plugin: system, name: s" + std::to_string(i) + "}\n";
  EXPECT_EQ(config_error(collectors),
            "test.yaml:2: collectors: 257 collectors; at most 256 are allowed");
  std::string rules = "alerts:\n";
  for (int i = 0; i < 1001; ++i) rules += "  - {metric: error_rate, above: {warning: 1}}\n";
  EXPECT_EQ(config_error(rules), "test.yaml:2: alerts: 1001 rules; at most 1000 are allowed");
}

TEST(ConfigLimitsTest, EmptyAuthSecretIsAnError) {
  unsetenv("RESYNC_TEST_UNSET_TOKEN");
  const std::string empty =
      ": is empty; an empty secret would turn authentication off (check the environment variable "
      "it names, or "
      "remove server.auth to serve without authentication)";
  EXPECT_EQ(config_error("server:\n  auth: {token: \"${RESYNC_TEST_UNSET_TOKEN:-}\"}\n"),
            "test.yaml:2: server.auth.token" + empty);
  EXPECT_EQ(config_error("server:\n  auth:\n    token: \"\"\n"),
            "test.yaml:3: server.auth.token" + empty);
  EXPECT_EQ(config_error("server:\n  auth: {user: \"\", password: x}\n"),
            "test.yaml:2: server.auth.user" + empty);
  EXPECT_EQ(config_error("server:\n  auth: {user: u, password: \"\"}\n"),
            "test.yaml:2: server.auth.password" + empty);
  EXPECT_EQ(config_error("[server.auth]\ntoken = \"\"\n", ConfigFormat::kToml),
            "test.toml:2: server.auth.token" + empty);
  EXPECT_EQ(config_error("server:\n  auth: {}\n"),
            "test.yaml:2: server.auth: set token, or user and password; to serve without "
            "authentication, remove "
            "server.auth");
  EXPECT_EQ(config_error("server:\n  auth: {token: t}\n"), "");
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
// resync-mon as a user runs it: the real binary, the real system plugin, real /proc.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "test_support.hpp"

namespace resync {
namespace {

using testing::HasSubstr;
using testing::MatchesRegex;
using testing::StartsWith;

struct RunResult {
  int code = -1;
  std::string out, err;
};

// Runs resync-mon with `args`, its stdout and stderr captured apart.
RunResult run(const std::vector<std::string>& args) {
  test::TempDir dir("resync-cli");
  std::string command = "exec '" + test::resync_binary() + "'";
  for (const std::string& a : args) command += " '" + a + "'";
  command += " >" + dir.file("out") + " 2>" + dir.file("err");
  test::Process process({"/bin/sh", "-c", command});
  RunResult r;
  const auto code = process.wait_exit(std::chrono::seconds{30});
  EXPECT_TRUE(code.has_value()) << "resync-mon did not exit: " << command;
  r.code = code.value_or(-1);
  r.out = test::read_file(dir.file("out"));
  r.err = test::read_file(dir.file("err"));
  return r;
}

std::string config(const std::string& name) { return test::test_data_dir() + "/config/" + name; }

size_t count_lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

TEST(CliTest, Version) {
  const RunResult r = run({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, MatchesRegex("resync-mon [0-9]+\\.[0-9]+\\.[0-9]+ \\(plugin ABI 1\\)\n"));
}

TEST(CliTest, HelpListsSubcommandsAndExitCodes) {
  const RunResult r = run({"--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* s : {"current", "plugins", "config", "Exit codes:", "  0  success",
                        "  2  bad command line", "  3  invalid or unreadable configuration file",
                        "     including options a plugin's create() rejects",
                        "  4  a plugin could not be found or loaded\n"}) {
    EXPECT_THAT(r.out, HasSubstr(s));
  }
}

TEST(CliTest, EverySubcommandHasHelp) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"current", "--help"},
                                               {"plugins", "--help"},
                                               {"config", "check", "--help"}}) {
    const RunResult r = run(args);
    EXPECT_EQ(r.code, 0) << args[0];
    EXPECT_THAT(r.out, HasSubstr("Usage")) << args[0];
  }
  EXPECT_THAT(run({"current", "--help"}).out, HasSubstr("--json"));
}

TEST(CliTest, BadCommandLineExitsTwo) {
  EXPECT_EQ(run({"frobnicate"}).code, 2);
  EXPECT_EQ(run({}).code, 2);
  // A missing --config file is a configuration error, as from `config check` (issue 15).
  EXPECT_EQ(run({"--config", "/nonexistent/resync.yaml", "current"}).code, 3);
}

TEST(CliTest, PluginsListsSystemWithItsAbiVersion) {
  const RunResult r = run({"plugins"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  const std::string so = test::plugin_build_dir() + "/system.so";
  EXPECT_THAT(r.out, HasSubstr("\nsystem     1    " + so + "\n"));
  // Each series with its kind, unit and help, as the plugin declares them.
  EXPECT_THAT(r.out, HasSubstr("           system_uptime            gauge   seconds      Seconds "
                               "since the host booted.\n"));
  EXPECT_THAT(
      r.out,
      HasSubstr("           process_rss_bytes        gauge   bytes        Resident memory of the "
                "resync-mon process.\n"));
  EXPECT_THAT(r.out, StartsWith("Searched: " + test::plugin_build_dir()));
}

TEST(CliTest, PluginsRefusesAnotherAbiVersionNamingTheFile) {
  const RunResult r = run({"plugins", "--plugin-dir", RESYNC_FIXTURE_DIR});
  EXPECT_EQ(r.code, 4);
  const std::string dir = RESYNC_FIXTURE_DIR;
  EXPECT_THAT(r.out, HasSubstr("fixture    1    " + dir + "/fixture.so\n"));
  EXPECT_THAT(r.out, HasSubstr("error: " + dir +
                               "/fixture_abi2.so: built for plugin ABI version 2, this resync-mon "
                               "needs version 1\n"));
  EXPECT_THAT(r.out, HasSubstr("error: " + dir +
                               "/fixture_no_entry.so: missing symbol resync_plugin_entry"));
}

TEST(CliTest, ConfigCheckGoodFile) {
  const RunResult r = run({"config", "check", config("local.yaml")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, config("local.yaml") +
                       ": ok; interval 200ms, window 1m (300 samples), 1 collector(s): system "
                       "(system); 1 alert rule(s)\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliTest, ConfigCheckUnknownKeyIsOneLineAndExitThree) {
  const RunResult r = run({"config", "check", config("unknown_key.yaml")});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "resync-mon: " + config("unknown_key.yaml") +
                       ":4: collectors[0].proc_rot: unknown key; expected one of plugin, name, "
                       "timeout, isolation, "
                       "health_timeout, health_url, proc_root\n");
  EXPECT_EQ(r.out, "");
}

TEST(CliTest, ConfigCheckBadDurationIsOneLineAndExitThree) {
  const RunResult r = run({"config", "check", config("bad_duration.yaml")});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "resync-mon: " + config("bad_duration.yaml") +
                       ":2: window: expected a duration like \"5s\", got \"often\"\n");
}

TEST(CliTest, ConfigCheckMissingPluginIsOneLineAndExitFour) {
  const RunResult r = run({"config", "check", config("missing_plugin.yaml")});
  EXPECT_EQ(r.code, 4);
  EXPECT_THAT(r.err,
              StartsWith("resync-mon: " + config("missing_plugin.yaml") +
                         ":3: collectors[0].plugin: no plugin 'nope' (looked for nope.so in " +
                         test::plugin_build_dir() + ", "));
  EXPECT_EQ(count_lines(r.err), 1u);
}

TEST(CliTest, CurrentJsonIsTheFullDocumentWithRealHostFigures) {
  const RunResult r = run({"--config", config("local.yaml"), "current", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  Poco::JSON::Parser parser;
  const auto doc = parser.parse(r.out).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(doc->getValue<std::string>("status"), "ok");
  const auto host = doc->getObject("host");
  for (const char* k : {"cpu_percent", "memory_percent", "load1", "process_rss_bytes"}) {
    ASSERT_TRUE(host->get(k).isNumeric()) << k << " is " << host->get(k).toString();
  }
  const double cpu = host->getValue<double>("cpu_percent");
  EXPECT_GE(cpu, 0);
  EXPECT_LE(cpu, 100);
  EXPECT_GT(host->getValue<double>("memory_percent"), 0);
  EXPECT_GT(host->getValue<double>("process_rss_bytes"), 1024 * 1024);
  EXPECT_TRUE(doc->getObject("collectors")->getObject("system")->getValue<bool>("up"));
  EXPECT_GT(doc->getValue<int64_t>("timestamp"), 1'600'000'000);
  for (const char* k :
       {"api", "cache", "agents", "llm", "tws", "system", "alerts", "uptime", "version"}) {
    EXPECT_TRUE(doc->has(k)) << k;
  }
}

TEST(CliTest, CurrentTableOnAPipe) {
  const RunResult r = run({"--config", config("local.yaml"), "current"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("host_cpu_percent"));
  EXPECT_THAT(r.out, testing::ContainsRegex("host_memory_percent +system +[0-9.]+ %"));
  EXPECT_THAT(r.out, testing::Not(HasSubstr("\033[")));  // no colour codes when not on a terminal
}

}  // namespace
}  // namespace resync

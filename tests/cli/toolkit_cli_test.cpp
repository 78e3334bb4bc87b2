// SPDX-License-Identifier: MIT
// history, check, current and plan as a user runs them: the real binary on a state file written
// by a real `resync-mon serve`, on that server itself, and on sources that fail.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "resync/state_file.hpp"
#include "run_cli.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::run_cli;
using testing::HasSubstr;
using testing::StartsWith;

size_t count_lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

// A copy of the state file at `from` whose every time lies `age` further in the past, so its
// newest sample is that old by construction, however long the tests before took.
void write_aged_copy(const std::string& from, const std::string& to,
                     std::chrono::milliseconds age) {
  std::optional<SavedState> saved = read_state_file(from);
  ASSERT_TRUE(saved) << from;
  const int64_t shift = age.count();
  for (int64_t& t : saved->rows.timestamps_ms) t -= shift;
  saved->saved_at_ms -= shift;
  saved->started_at_ms -= shift;
  for (CollectorHealth& h : saved->health) {
    if (h.last_success_ms > 0) h.last_success_ms -= shift;
    if (h.last_error_at_ms > 0) h.last_error_at_ms -= shift;
  }
  const std::string alert_state = saved->alert_state;
  test::write_file(to, encode_state(to_snapshot(std::move(*saved), to), alert_state));
}

// One state file from a real serve (system plugin, 200 ms grid), shared by the tests below.
class ToolkitCliTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("resync-toolkit");
    config_ = dir_->file("resync.yaml");
    state_ = dir_->file("state");
    test::write_file(config_, "interval: 200ms\nwindow: 1m\nplugin_dir: \"" +
                                  test::plugin_build_dir() + "\"\nstate_file: \"" + state_ +
                                  "\"\ncollectors:\n  - plugin: system\n");
    test::ServeProcess serve(config_, dir_->file("serve.log"));
    // Enough rows for the tests below (HistoryJsonIsTheHistoryDocument wants 3).
    ASSERT_TRUE(serve.wait_for_samples(5)) << test::read_file(dir_->file("serve.log"));
    serve.process().signal(SIGTERM);
    ASSERT_EQ(serve.process().wait_exit(10s), std::optional<int>(0));
  }
  static void TearDownTestSuite() { delete dir_; }

  static test::TempDir* dir_;
  static std::string config_, state_;
};
test::TempDir* ToolkitCliTest::dir_ = nullptr;
std::string ToolkitCliTest::config_, ToolkitCliTest::state_;

TEST_F(ToolkitCliTest, HelpListsTheToolkitAndTheNewExitCodes) {
  const test::RunResult r = run_cli({"--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* s :
       {"history", "check", "plan", "  6  the source cannot be read", "  7  the server refused",
        "  8  the state file is not a valid state file", "`check` exits 0 OK"}) {
    EXPECT_THAT(r.out, HasSubstr(s));
  }
  for (const char* sub : {"history", "check", "plan", "current"}) {
    const test::RunResult h = run_cli({sub, "--help"});
    EXPECT_EQ(h.code, 0) << sub;
    if (std::string(sub) != "plan") {
      EXPECT_THAT(h.out, HasSubstr("--state")) << sub;
    }
  }
}

TEST_F(ToolkitCliTest, UnknownSubcommandSaysSoAndListsTheKnownOnes) {
  const test::RunResult r = run_cli({"--config", config_, "histroy"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(
      r.err,
      "resync-mon: unknown subcommand \"histroy\"; did you mean history? (known: serve, current, "
      "history, check, plan, report, rules, plugins, config, discover, hash-password, "
      "completion; see resync-mon --help)\n");
}

TEST_F(ToolkitCliTest, HistoryCsvOfTheStateFile) {
  const auto saved = read_state_file(state_);
  ASSERT_TRUE(saved);
  ASSERT_EQ(saved->version, kStateFileVersion);
  const test::RunResult r = run_cli({"history", "--state", state_, "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(count_lines(r.out), saved->rows.rows + 1);
  EXPECT_THAT(
      r.out,
      StartsWith("time,epoch,system_uptime,system_availability,async_operations_active,"
                 "host_cpu_percent,host_memory_percent,host_load1,process_rss_bytes,collector_up,"
                 "collector_duration_ms\n"));
  EXPECT_THAT(r.out, testing::ContainsRegex("\n20[0-9-]{8}T[0-9:.]{8,12}Z,[0-9.]+,[0-9.]+,100,"));
  // The same from the configuration's state_file, without --state.
  EXPECT_EQ(run_cli({"--config", config_, "history", "--format", "csv"}).out, r.out);
}

TEST_F(ToolkitCliTest, HistoryOutWritesAtomicallyTheSameBytes) {
  const std::string out = dir_->file("export.ndjson");
  const test::RunResult r =
      run_cli({"history", "--state", state_, "--format", "ndjson", "--out", out});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(test::read_file(out),
            run_cli({"history", "--state", state_, "--format", "ndjson"}).out);
  EXPECT_FALSE(fs::exists(out + ".tmp"));
  const test::RunResult bad =
      run_cli({"history", "--state", state_, "--format", "csv", "--out", "/nonexistent/x.csv"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.err,
            "resync-mon: cannot write /nonexistent/x.csv.tmp: No such file or directory\n");
}

TEST_F(ToolkitCliTest, HistoryJsonIsTheHistoryDocument) {
  const test::RunResult r =
      run_cli({"history", "--state", state_, "--format", "json", "--minutes", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  Poco::JSON::Parser parser;
  const auto doc = parser.parse(r.out).extract<Poco::JSON::Object::Ptr>();
  for (const char* k : {"timestamps", "epoch", "api", "cache", "agents", "tws", "sample_count",
                        "interval_seconds"}) {
    EXPECT_TRUE(doc->has(k)) << k;
  }
  EXPECT_DOUBLE_EQ(doc->getValue<double>("interval_seconds"), 0.2);
  EXPECT_EQ(doc->getValue<size_t>("sample_count"), doc->getArray("epoch")->size());
  EXPECT_GE(doc->getValue<size_t>("sample_count"), 3u);
  EXPECT_EQ(doc->getObject("host")->getArray("cpu_percent")->size(),
            doc->getArray("epoch")->size());
}

TEST_F(ToolkitCliTest, HistoryBadOptionsAreUsageErrors) {
  test::RunResult r =
      run_cli({"history", "--state", state_, "--series", "host_cpu_percnt", "--format", "csv"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(
      r.err,
      StartsWith(
          "resync-mon: --series: unknown series \"host_cpu_percnt\"; known: system_uptime, "));
  r = run_cli({"history", "--state", state_, "--series", "host_load1", "--format", "json"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(run_cli({"history", "--state", state_, "--minutes", "0"}).code, 2);
  EXPECT_EQ(run_cli({"history", "--state", state_, "--format", "xml"}).code, 2);
  EXPECT_EQ(run_cli({"history", "--state", state_, "--url", "http://127.0.0.1:1"}).code, 2);
  r = run_cli({"history"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("no source: pass --url URL"));
}

TEST_F(ToolkitCliTest, SourceFailuresHaveTheirExitCodes) {
  test::RunResult r = run_cli({"history", "--state", dir_->file("missing")});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "resync-mon: cannot read state file " + dir_->file("missing") +
                       ": No such file or directory\n");
  const std::string corrupt = dir_->file("corrupt");
  std::string bytes = test::read_file(state_);
  bytes[bytes.size() - 1] ^= 0x5a;  // the checksum itself: the rest still parses
  test::write_file(corrupt, bytes);
  r = run_cli({"current", "--state", corrupt});
  EXPECT_EQ(r.code, 8);
  EXPECT_EQ(r.err, "resync-mon: state file " + corrupt +
                       ": damaged: its checksum does not match its contents\n");
  EXPECT_EQ(test::read_file(corrupt), bytes) << "left as it was";
  const std::string url = "http://127.0.0.1:" + std::to_string(test::free_port());
  r = run_cli({"history", "--url", url, "--format", "csv"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "resync-mon: " + url + "/api/monitoring/window: connection refused\n");
}

TEST_F(ToolkitCliTest, CurrentFromTheStateFile) {
  const test::RunResult r = run_cli({"current", "--state", state_});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("from " + state_));
  EXPECT_THAT(r.out, testing::ContainsRegex("host_memory_percent +system +[0-9.]+ %"));
  EXPECT_THAT(r.out, testing::ContainsRegex("\nsystem +system +yes "));
  const test::RunResult json = run_cli({"current", "--state", state_, "--json"});
  ASSERT_EQ(json.code, 0);
  Poco::JSON::Parser parser;
  const auto doc = parser.parse(json.out).extract<Poco::JSON::Object::Ptr>();
  EXPECT_GT(doc->getObject("host")->getValue<double>("memory_percent"), 0);
  EXPECT_TRUE(doc->getObject("collectors")->getObject("system")->getValue<bool>("up"));
}

// The age check judges a file ten minutes old by construction: the default limit (three 200 ms
// intervals) refuses it, an explicit --max-age of an hour accepts it.
TEST_F(ToolkitCliTest, CheckOnTheStateFile) {
  const std::string aged = dir_->file("aged");
  write_aged_copy(state_, aged, 10min);
  test::RunResult r = run_cli({"check", "--state", aged, "--max-age", "1h"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  // The status line carries perfdata of every series a rule judged (README's `check` example); a
  // system-only configuration has one rule in effect, the host's collector_up.
  EXPECT_THAT(r.out, testing::MatchesRegex("RESYNC-MON OK - no alert \\(1 rules, sample of "
                                           "[0-9T:-]+Z\\) \\| 'collector_up'=1;@0:0;;0;1\n"));
  r = run_cli(
      {"check", "--state", aged, "--max-age", "1h", "-m", "host_memory_percent", "-w", "@0:100"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, testing::MatchesRegex(
                         "RESYNC-MON WARNING - host_memory_percent is [0-9.]+ % \\(outside -w "
                         "@0:100\\) \\| 'host_memory_percent'=[0-9.]+%;@0:100;;0;100\n"));
  r = run_cli(
      {"check", "--state", aged, "--max-age", "1h", "-m", "host_memory_percent", "-c", "~:0"});
  EXPECT_EQ(r.code, 2);
  r = run_cli({"check", "--state", aged});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.out, testing::MatchesRegex("RESYNC-MON UNKNOWN - newest sample of " + aged +
                                           " is [0-9]+ s old \\(.*\\), older than 600ms "
                                           "\\(--max-age\\)\n"));
  r = run_cli({"check", "--state", aged, "--max-age", "5m"});
  EXPECT_EQ(r.code, 3) << "ten minutes is past a limit of five";
}

// Neither --url nor --state: two samples taken here, the rules judged on them.
TEST_F(ToolkitCliTest, CheckSamplesLocallyWithoutASource) {
  const test::RunResult r =
      run_cli({"--config", test::test_data_dir() + "/config/local.yaml", "check"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, StartsWith("RESYNC-MON OK - no alert (1 rules, sample of "));
  const test::RunResult m = run_cli({"--config", test::test_data_dir() + "/config/local.yaml",
                                     "check", "-m", "process_rss_bytes", "-c", "1:"});
  EXPECT_EQ(m.code, 0) << m.out;
  EXPECT_THAT(m.out, testing::MatchesRegex("RESYNC-MON OK - process_rss_bytes is [0-9]+ B \\| "
                                           "'process_rss_bytes'=[0-9]+B;;1:\n"));
}

TEST_F(ToolkitCliTest, CheckFailuresAreUnknownOnStdout) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"check", "--state", dir_->file("missing")},
        {"check", "--url", "http://127.0.0.1:" + std::to_string(test::free_port())},
        {"check", "--state", state_, "-m", "host_load1", "-w", "ten"},
        {"check", "--state", state_, "-w", "10"},
        {"check", "--bogus"},
        {"check", "--state", state_, "--max-age", "often"}}) {
    const test::RunResult r = run_cli(args);
    EXPECT_EQ(r.code, 3) << args.back() << ": " << r.out << r.err;
    EXPECT_THAT(r.out, StartsWith("RESYNC-MON UNKNOWN - ")) << args.back();
    EXPECT_EQ(count_lines(r.out), 1u) << r.out;
  }
}

TEST_F(ToolkitCliTest, ServerWithAuthAndTheEnvironmentToken) {
  test::TempDir dir;
  test::write_file(
      dir.file("resync.yaml"),
      "interval: 200ms\nwindow: 1m\nplugin_dir: \"" + test::plugin_build_dir() +
          "\"\nserver: {auth: {user: ops, password: pw}}\ncollectors:\n  - plugin: system\n");
  test::ServeProcess serve(dir.file("resync.yaml"), dir.file("log"));
  ASSERT_FALSE(serve.url().empty());
  // /api/monitoring/health needs the credentials too: basic ops:pw.
  ASSERT_TRUE(serve.wait_for_samples(3, {{"Authorization", "Basic b3BzOnB3"}}));
  test::RunResult r = run_cli({"history", "--url", serve.url(), "--format", "csv"});
  EXPECT_EQ(r.code, 7);
  EXPECT_EQ(count_lines(r.err), 1u);
  r = run_cli({"history", "--url", serve.url(), "--user", "ops", "--format", "csv"});
  EXPECT_EQ(r.code, 2) << "no password in the environment";
  EXPECT_EQ(r.err, "resync-mon: --user ops: set its password in RESYNC_MON_PASSWORD\n");
  r = run_cli({"history", "--url", serve.url(), "--user", "ops", "--format", "csv"},
              {{"RESYNC_MON_PASSWORD", "no"}});
  EXPECT_EQ(r.code, 7);
  r = run_cli({"history", "--url", serve.url(), "--user", "ops", "--format", "csv"},
              {{"RESYNC_MON_PASSWORD", "pw"}});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("time,epoch,system_uptime,"));
  EXPECT_GE(count_lines(r.out), 3u);
  r = run_cli({"check", "--url", serve.url(), "--user", "ops"}, {{"RESYNC_MON_PASSWORD", "pw"}});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, StartsWith("RESYNC-MON OK - no alert"));
  r = run_cli(
      {"history", "--url", serve.url(), "--user", "ops", "--format", "json", "--minutes", "9999"},
      {{"RESYNC_MON_PASSWORD", "pw"}});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("{\"timestamps\":["))
      << "the server's own document, minutes clamped to its window";
  r = run_cli({"current", "--url", serve.url(), "--user", "ops", "--json"},
              {{"RESYNC_MON_PASSWORD", "pw"}});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("\"version\":"));
}

TEST_F(ToolkitCliTest, PlanCountsTheDeclaredSeries) {
  const test::RunResult r = run_cli({"--config", config_, "plan"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith(config_ + ": interval 200ms, window 1m = 300 samples\n"));
  EXPECT_THAT(r.out, HasSubstr("\nsystem           system     9\n"));
  EXPECT_THAT(r.out, HasSubstr("(9 series + 1 timestamp) x 300 samples x 8 B = 24000 B"));
  EXPECT_EQ(test::read_file(state_).substr(0, 8), "RSYNCMON") << "plan reads no state";
}

TEST(ExampleConfigTest, EveryExampleChecksWithoutAnyVariableSet) {
  for (const char* name : {"resync.yaml", "resync.toml", "nginx-redis.yaml"}) {
    const std::string path = std::string(RESYNC_SOURCE_DIR) + "/examples/" + name;
    const test::RunResult r = run_cli({"config", "check", path});
    EXPECT_EQ(r.code, 0) << name << ": " << r.err;
    EXPECT_THAT(r.out, StartsWith(path + ": ok;"));
  }
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
// isolation: process with real children: the built resync-mon as collector host and the fixture
// plugin, switched between normal, crashing, hanging and garbage-writing through its mode file.
#include "process_collector.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <thread>

#include "isolation_test_util.hpp"
#include "map_sink.hpp"
#include "plugin_host.hpp"
#include "resync/error.hpp"
#include "resync/isolation.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;
using testing::StartsWith;

using test::MapSink;

struct Isolated {
  explicit Isolated(const std::string& extra_json = "", std::chrono::milliseconds timeout = 1s)
      : mode(dir.file("mode")),
        collector(ProcessCollector::Options{
            test::resync_binary(), test::fixture_plugin_path(), "fixture", "iso",
            R"({"name":"iso","samples":4,"garbage_fd":3,"mode_file":")" + mode + "\"" + extra_json +
                "}",
            timeout}) {}
  void set_mode(const std::string& m) { test::write_file(mode, m); }
  // The CollectError message of one collect(), or "" when it succeeded.
  std::string collect_error(MapSink& sink) {
    try {
      collector.collect(sink);
    } catch (const CollectError& e) {
      return e.what();
    }
    return "";
  }
  std::string collect_error() {
    MapSink sink;
    return collect_error(sink);
  }
  // Collects until one succeeds, sleeping through the restart backoff.
  bool recover(std::chrono::milliseconds within = test::kPatience) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      if (collect_error().empty()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  test::TempDir dir;
  std::string mode;
  ProcessCollector collector;
};

TEST(ProcessCollectorTest, GivesTheSameValuesAsInProcess) {
  const std::string config = R"({"name":"same","samples":4})";
  PluginCollector in_process(Plugin::load(test::fixture_plugin_path()), config);
  ProcessCollector isolated(ProcessCollector::Options{
      test::resync_binary(), test::fixture_plugin_path(), "fixture", "same", config, 2s});
  for (int round = 0; round < 3; ++round) {
    MapSink a, b;
    in_process.collect(a);
    isolated.collect(b);
    a.values.erase("fixture_wall_ms");  // the clock, read in two processes
    b.values.erase("fixture_wall_ms");
    EXPECT_EQ(a.values, b.values);
    EXPECT_EQ(a.values.at("fixture_s3"), (round + 1) * 100.0 + 3);
    EXPECT_EQ(in_process.status(), isolated.status());
  }
  EXPECT_EQ(isolated.restarts(), 0u);
  EXPECT_STREQ(isolated.isolation(), "process");
}

TEST(ProcessCollectorTest, ACreateErrorIsAPluginLoadErrorNamingTheKey) {
  try {
    ProcessCollector bad(ProcessCollector::Options{test::resync_binary(),
                                                   test::fixture_plugin_path(), "fixture", "bad",
                                                   R"({"samples":"many"})", 1s});
    FAIL() << "create() accepted a bad key";
  } catch (const PluginLoadError& e) {
    EXPECT_THAT(e.what(), StartsWith("samples: "));
  }
}

TEST(ProcessCollectorTest, ASegfaultIsReportedReapedAndRestartedWithBackoff) {
  Isolated iso;
  ASSERT_EQ(iso.collect_error(), "");
  const pid_t first = iso.collector.pid();
  iso.set_mode("segv");
  EXPECT_EQ(iso.collect_error(), "crashed: SIGSEGV");
  EXPECT_EQ(iso.collector.pid(), -1);
  EXPECT_FALSE(test::process_exists(first)) << "the crashed child was not reaped";
  // Within the backoff no child is started; the error still says why.
  EXPECT_THAT(iso.collect_error(), StartsWith("crashed: SIGSEGV; restarting in "));
  EXPECT_EQ(iso.collector.restarts(), 0u);
  // Past the backoff the next collect() restarts it, into the same crash.
  EXPECT_TRUE(test::eventually([&] { return iso.collect_error() == "crashed: SIGSEGV"; }))
      << "restarted into the same crash";
  EXPECT_EQ(iso.collector.restarts(), 1u);

  iso.set_mode("ok");
  ASSERT_TRUE(iso.recover());
  EXPECT_EQ(iso.collector.restarts(), 2u);
  EXPECT_GT(iso.collector.pid(), 0);
}

TEST(ProcessCollectorTest, AnAbortIsReportedBySignalName) {
  Isolated iso;
  iso.set_mode("abort");
  EXPECT_EQ(iso.collect_error(), "crashed: SIGABRT");
}

TEST(ProcessCollectorTest, AHangIsKilledAtTheDeadline) {
  Isolated iso("", 500ms);
  ASSERT_EQ(iso.collect_error(), "");
  const pid_t child = iso.collector.pid();
  iso.set_mode("hang");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THAT(iso.collect_error(), StartsWith("hung: no answer within 450ms; killed"));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 440ms);
  // The child hangs forever: returning at all means it was given up on at the deadline. The
  // margin is for a loaded machine (a timing goal is a benchmark's business, not a test's).
  EXPECT_LT(took, 1000ms) << "collect() returned long after its 450 ms deadline";
  EXPECT_FALSE(test::process_exists(child));
  iso.set_mode("ok");
  EXPECT_TRUE(iso.recover());
}

TEST(ProcessCollectorTest, GarbageFromTheChildIsRejectedAndTheChildKilled) {
  Isolated iso;
  ASSERT_EQ(iso.collect_error(), "");
  const pid_t child = iso.collector.pid();
  iso.set_mode("garbage");
  MapSink sink;
  EXPECT_THAT(
      iso.collect_error(sink),
      AllOf(StartsWith("protocol error: frame of 2147483647 bytes"), HasSubstr("; killed")));
  EXPECT_TRUE(sink.values.empty()) << "nothing of a rejected child reaches the sink";
  EXPECT_FALSE(test::process_exists(child));
  iso.set_mode("ok");
  EXPECT_TRUE(iso.recover());
}

TEST(ProcessCollectorTest, DestructionEndsAndReapsTheChild) {
  pid_t child = -1;
  {
    Isolated iso;
    child = iso.collector.pid();
    ASSERT_GT(child, 0);
    EXPECT_TRUE(test::process_exists(child));
  }
  EXPECT_FALSE(test::process_exists(child));
}

// The monitor killed with SIGKILL cannot end its children; the kernel does (PR_SET_PDEATHSIG).
TEST(ProcessCollectorTest, ChildrenDieWithTheirParent) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t parent = fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    close(pipe_fds[0]);
    ProcessCollector c(ProcessCollector::Options{test::resync_binary(), test::fixture_plugin_path(),
                                                 "fixture", "orphan", "{}", 1s});
    const pid_t child = c.pid();
    ssize_t ignored = write(pipe_fds[1], &child, sizeof child);
    (void)ignored;
    raise(SIGKILL);
  }
  close(pipe_fds[1]);
  pid_t child = -1;
  ASSERT_EQ(read(pipe_fds[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
  close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(parent, &status, 0), parent);
  ASSERT_GT(child, 0);
  EXPECT_TRUE(test::eventually_gone(child, test::kPatience))
      << "child " << child << " outlived its parent";
}

}  // namespace
}  // namespace resync

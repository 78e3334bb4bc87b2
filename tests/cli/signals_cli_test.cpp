// SPDX-License-Identifier: MIT
// Signals as an operator and a crashing plugin deliver them: the real `resync-mon serve` with the
// test-only fixture plugin stuck, slow to start or crashing inside collect().
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "resync/state_file.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::TempDir;
using testing::HasSubstr;

std::string write_config(const TempDir& dir, const std::string& collectors,
                         const std::string& extra = "") {
  const std::string path = dir.file("resync.yaml");
  test::write_file(path, "interval: 200ms\nwindow: 1m\nplugin_dir: \"" RESYNC_FIXTURE_DIR "\"\n" +
                             extra + "collectors:\n" + collectors);
  return path;
}

std::vector<std::string> serve_argv(const std::string& config) {
  return {test::resync_binary(), "--config", config, "serve", "--bind", "127.0.0.1:0"};
}

bool wait_for_log(const std::string& log, const std::string& text,
                  std::chrono::milliseconds timeout) {
  return test::eventually(
      [&] { return fs::exists(log) && test::read_file(log).find(text) != std::string::npos; },
      timeout, 20ms);
}

TEST(SignalsTest, StopWithACollectorStuckForAnHourSavesStateAndExitsWithinTwoSeconds) {
  TempDir dir;
  const std::string state = dir.file("state");
  const std::string log = dir.file("serve.log");
  const std::string config = write_config(
      dir,
      "  - {plugin: fixture, name: quick}\n  - {plugin: fixture, name: stuck, sleep_ms: 3600000}\n",
      "state_file: \"" + state + "\"\n");
  test::Process serve(serve_argv(config), log);
  ASSERT_TRUE(wait_for_log(log, "collector stuck failed", test::kPatience)) << test::read_file(log);
  const auto stopping = Clock::now();
  serve.signal(SIGTERM);
  const auto code = serve.wait_exit(5s);
  const auto took = Clock::now() - stopping;
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << test::read_file(log);
  EXPECT_LT(took, 2s);
  EXPECT_THAT(test::read_file(log),
              HasSubstr("collector stuck still running 1s after stop; abandoning its thread"));
  const auto saved = read_state_file(state);
  ASSERT_TRUE(saved);
  EXPECT_GE(saved->rows.rows, 1u);
}

// Stopping waits up to a second for the stuck collector; a second stop signal meanwhile ends the
// process at once, by that signal. serve takes its signals on its main thread once serving, so
// this is the signal thread it starts again on the first one.
TEST(SignalsTest, SecondStopSignalWhileStoppingExitsAtOnce) {
  TempDir dir;
  const std::string log = dir.file("serve.log");
  const std::string config = write_config(dir,
                                          "  - {plugin: fixture, name: quick}\n  - {plugin: "
                                          "fixture, name: stuck, sleep_ms: 3600000}\n");
  test::Process serve(serve_argv(config), log);
  ASSERT_TRUE(wait_for_log(log, "collector stuck failed", test::kPatience)) << test::read_file(log);
  serve.signal(SIGTERM);
  ASSERT_TRUE(wait_for_log(log, "received SIGTERM, stopping", test::kPatience))
      << test::read_file(log);
  serve.signal(SIGINT);
  const auto code = serve.wait_exit(5s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 128 + SIGINT) << test::read_file(log);
  EXPECT_THAT(test::read_file(log),
              HasSubstr("received SIGINT again while stopping, exiting at once"));
  EXPECT_THAT(test::read_file(log), testing::Not(HasSubstr("abandoning its thread")));
}

TEST(SignalsTest, StopWhileStartingEndsAtOnce) {
  TempDir dir;
  const std::string log = dir.file("serve.log");
  // create() sleeps for a minute: the stop signal arrives while the configuration loads, once the
  // fixture's trace says create() has begun.
  const std::string trace = dir.file("trace");
  test::Process serve(
      serve_argv(write_config(
          dir, "  - {plugin: fixture, create_sleep_ms: 60000, trace_file: \"" + trace + "\"}\n")),
      log);
  ASSERT_TRUE(test::eventually([&] { return fs::exists(trace); })) << test::read_file(log);
  const auto stopping = Clock::now();
  serve.signal(SIGINT);
  const auto code = serve.wait_exit(30s);
  ASSERT_TRUE(code);
  // "At once" against create()'s minute; 5 s leaves room for a saturated machine.
  EXPECT_LT(Clock::now() - stopping, 5s);
  EXPECT_EQ(*code, 128 + SIGINT);
  EXPECT_THAT(test::read_file(log), HasSubstr("info received SIGINT while starting, exiting"));
}

// Once serving, SIGHUP reloads (reload_cli_test.cpp); before that, while plugins start, there is
// nothing to reload yet and it is logged and ignored rather than ending the process.
TEST(SignalsTest, HangupWhileStartingIsLoggedAndIgnored) {
  TempDir dir;
  const std::string log = dir.file("serve.log");
  const std::string trace = dir.file("trace");
  test::Process serve(
      serve_argv(write_config(
          dir, "  - {plugin: fixture, create_sleep_ms: 60000, trace_file: \"" + trace + "\"}\n")),
      log);
  ASSERT_TRUE(test::eventually([&] { return fs::exists(trace); })) << test::read_file(log);
  serve.signal(SIGHUP);
  ASSERT_TRUE(wait_for_log(log, "received SIGHUP: ignored", test::kPatience))
      << test::read_file(log);
  EXPECT_TRUE(serve.running());
  serve.signal(SIGTERM);
  const auto code = serve.wait_exit(30s);
  ASSERT_TRUE(code);
  // Ended by the stop signal, as asked, not by the hangup.
  EXPECT_EQ(*code, 128 + SIGTERM);
}

TEST(SignalsTest, FatalSignalInACollectorNamesIt) {
  struct Case {
    const char* crash;
    int signal;
    const char* name;
  };
  for (const Case c : {Case{"segv", SIGSEGV, "SIGSEGV"}, Case{"abort", SIGABRT, "SIGABRT"},
                       Case{"stack_overflow", SIGSEGV, "SIGSEGV"}}) {
    TempDir dir;
    const std::string log = dir.file("serve.log");
    const std::string config = write_config(
        dir, "  - {plugin: fixture, name: healthy}\n  - {plugin: fixture, name: crashy, crash: " +
                 std::string(c.crash) + "}\n");
    // No core files from the test (the shell execs, so the PID and the signal are resync-mon's).
    test::Process serve(
        {"/bin/sh", "-c", "ulimit -c 0; exec \"$0\" --config \"$1\" serve --bind 127.0.0.1:0",
         test::resync_binary(), config},
        log);
    const auto code = serve.wait_exit(10s);
    ASSERT_TRUE(code) << c.crash;
    // Dies by the signal itself (default action, core dump allowed), not by a tidy exit.
    EXPECT_EQ(*code, 128 + c.signal) << c.crash;
    EXPECT_THAT(test::read_file(log), HasSubstr(std::string("resync-mon: fatal signal ") + c.name +
                                                " in collector crashy\n"))
        << c.crash;
  }
}

}  // namespace
}  // namespace resync

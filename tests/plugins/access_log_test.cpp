// SPDX-License-Identifier: MIT
// The api plugin's access-log half: parsing combined log lines and following a log through
// rotation and truncation.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "access_log.hpp"
#include "api_stats.hpp"
#include "http_targets.hpp"
#include "plugin_host.hpp"
#include "resync/error.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;
using plugin::api::LogFollower;
using testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// ---- access log lines -----------------------------------------------------------------------

TEST(AccessLogLineTest, ParsesNginxCombinedWithRequestTime) {
  const auto e = plugin::api::parse_access_log_line(
      "127.0.0.1 - - [25/Nov/2026:03:41:48 +0000] \"GET /ok?x=1 HTTP/1.1\" 200 3 \"-\" "
      "\"resync-mon\" 0.003");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status, 200);
  EXPECT_DOUBLE_EQ(e->request_time, 0.003);
}

TEST(AccessLogLineTest, ParsesApacheEscapesAndOtherUnits) {
  // Apache escapes quotes as \" and logs %D (microseconds) when asked to.
  const auto e = plugin::api::parse_access_log_line(
      "10.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] \"GET /a\\\"b HTTP/1.0\" 503 12 \"http://x/\" "
      "\"Mozilla \\\"quoted\\\" agent\" 1234\r");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status, 503);
  EXPECT_EQ(e->request_time, 1234);
  // nginx writes a quote in the request as \x22.
  const auto n = plugin::api::parse_access_log_line(
      "::1 - - [25/Nov/2026:03:41:48 +0000] \"GET /\\x22 HTTP/1.1\" 404 0 \"-\" \"curl\" 0.000");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->status, 404);
  EXPECT_EQ(n->request_time, 0);
}

TEST(AccessLogLineTest, RequestTimeIsNaNWhenTheLineHasNone) {
  const auto dash =
      plugin::api::parse_access_log_line("h - - [t] \"GET / HTTP/1.1\" 200 5 \"-\" \"ua\" -");
  ASSERT_TRUE(dash.has_value());
  EXPECT_TRUE(std::isnan(dash->request_time));
  // Plain combined: the last field is the quoted user agent.
  const auto combined =
      plugin::api::parse_access_log_line("h - - [t] \"GET / HTTP/1.1\" 200 5 \"-\" \"ua 1.0\"");
  ASSERT_TRUE(combined.has_value());
  EXPECT_TRUE(std::isnan(combined->request_time));
  // Common format: the bytes field is not a request time.
  const auto common = plugin::api::parse_access_log_line("h - - [t] \"GET / HTTP/1.1\" 200 2326");
  ASSERT_TRUE(common.has_value());
  EXPECT_TRUE(std::isnan(common->request_time));
  const auto common_timed =
      plugin::api::parse_access_log_line("h - - [t] \"GET / HTTP/1.1\" 200 2326 0.5");
  ASSERT_TRUE(common_timed.has_value());
  EXPECT_EQ(common_timed->request_time, 0.5);
}

// Every line of a log written by the real nginx (tests/data/api/README.md says how).
TEST(AccessLogLineTest, ParsesEveryLineOfARealNginxLog) {
  std::istringstream log(test::read_file(test::test_data_dir() + "/api/nginx_access.log"));
  std::vector<int> statuses;
  std::vector<double> times;
  std::string line;
  while (std::getline(log, line)) {
    const auto e = plugin::api::parse_access_log_line(line);
    ASSERT_TRUE(e.has_value()) << line;
    statuses.push_back(e->status);
    times.push_back(e->request_time);
  }
  EXPECT_THAT(statuses,
              testing::ElementsAre(200, 200, 200, 503, 404, 200, 200, 504, 401, 404, 400, 404));
  EXPECT_THAT(times, testing::Each(testing::AnyOf(0.0, 0.201)));
  EXPECT_EQ(times[7], 0.201);
}

TEST(AccessLogLineTest, RejectsLinesInOtherFormats) {
  for (const char* line :
       {"", "just some text", "h - - [t] \"GET / HTTP/1.1 200 5 0.1",
        "h - - [t] \"GET / HTTP/1.1\" OK 5 0.1", "h - - [t] \"GET / HTTP/1.1\" 2000 5 0.1",
        "h - - [t] \"GET / HTTP/1.1\"", "{\"status\":200,\"time\":0.1}"}) {
    EXPECT_FALSE(plugin::api::parse_access_log_line(line).has_value()) << line;
  }
}

// ---- LogFollower ----------------------------------------------------------------------------

void append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << text;
}

std::vector<std::string> poll_lines(LogFollower& follower) {
  std::vector<std::string> lines;
  follower.poll([&](std::string_view line) { lines.emplace_back(line); }, Clock::now() + 1s);
  return lines;
}

TEST(LogFollowerTest, StartsAtTheEndOfAnExistingFile) {
  test::TempDir dir;
  const std::string log = dir.file("access.log");
  append(log, "old 1\nold 2\n");
  LogFollower follower(log);
  EXPECT_TRUE(poll_lines(follower).empty());
  append(log, "new 1\nnew 2\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("new 1", "new 2"));
  EXPECT_TRUE(poll_lines(follower).empty());
}

TEST(LogFollowerTest, SkipsTheTailOfALineItStartedInside) {
  test::TempDir dir;
  const std::string log = dir.file("access.log");
  append(log, "old 1\nold 2 starts");
  LogFollower follower(log);
  append(log, " and ends\nnew 1\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("new 1"));
}

TEST(LogFollowerTest, KeepsAPartialLineUntilItsNewlineArrives) {
  test::TempDir dir;
  const std::string log = dir.file("access.log");
  append(log, "");
  LogFollower follower(log);
  append(log, "first\r\nsecond ha");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("first"));
  append(log, "lf line");
  EXPECT_TRUE(poll_lines(follower).empty());
  append(log, "\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("second half line"));
}

TEST(LogFollowerTest, FollowsRenameRotationAndFinishesTheOldFile) {
  test::TempDir dir;
  const std::string log = dir.file("access.log");
  append(log, "");
  LogFollower follower(log);
  // The writer keeps its descriptor across the rename, as nginx does until it gets SIGUSR1.
  const int writer = ::open(log.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(writer, 0);
  auto write_old = [&](const std::string& s) {
    ASSERT_EQ(::write(writer, s.data(), s.size()), ssize_t(s.size()));
  };
  write_old("a\n");
  fs::rename(log, log + ".1");
  write_old("b\n");
  // Renamed, not yet reopened: the path is missing, which is no error.
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("a", "b"));
  write_old("c\npart");
  append(log, "d\n");  // the writer "reopened": a new file at the path
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("c", "d"));
  // Written to the old file before the writer switched: read once more at the next poll.
  write_old("ial\n");
  append(log, "e\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("partial", "e"));
  write_old("too late\n");
  append(log, "f\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("f"));
  EXPECT_EQ(follower.rotations(), 1u);
  ::close(writer);
}

TEST(LogFollowerTest, RestartsAtZeroAfterCopytruncate) {
  test::TempDir dir;
  const std::string log = dir.file("access.log");
  append(log, "");
  LogFollower follower(log);
  append(log, "line one is long\nline two is long\n");
  EXPECT_EQ(poll_lines(follower).size(), 2u);
  fs::copy_file(log, log + ".1");
  fs::resize_file(log, 0);
  append(log, "x\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("x"));
  EXPECT_EQ(follower.truncations(), 1u);
  EXPECT_EQ(follower.rotations(), 0u);
}

TEST(LogFollowerTest, WaitsForAMissingFileAndReadsItFromItsStart) {
  test::TempDir dir;
  const std::string log = dir.file("later.log");
  LogFollower follower(log);
  try {
    poll_lines(follower);
    ADD_FAILURE() << "expected an error for a missing file";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot open " + log + ": No such file or directory"));
  }
  append(log, "first\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("first"));
}

TEST(LogFollowerTest, DropsLinesLongerThanTheCap) {
  test::TempDir dir;
  const std::string log = dir.file("access.log");
  append(log, "");
  LogFollower follower(log);
  append(log, std::string(LogFollower::kMaxLineBytes + 10, 'x'));
  EXPECT_TRUE(poll_lines(follower).empty());
  append(log, std::string(LogFollower::kMaxLineBytes, 'y') + "\nshort\n");
  EXPECT_THAT(poll_lines(follower), testing::ElementsAre("short"));
  EXPECT_EQ(follower.dropped_lines(), 1u);
}

TEST(LogFollowerTest, StopsAtTheDeadlineAndResumes) {
  test::TempDir dir;
  const std::string log = dir.file("access.log");
  append(log, "");
  LogFollower follower(log);
  std::string many;
  for (int i = 0; i < 50000; ++i) many += "line " + std::to_string(i) + "\n";
  append(log, many);
  size_t n = 0;
  follower.poll([&](std::string_view) { ++n; }, Clock::now() - 1s);  // already past: one chunk
  EXPECT_GT(n, 0u);
  EXPECT_LT(n, 50000u);
  follower.poll([&](std::string_view) { ++n; }, Clock::now() + 10s);
  EXPECT_EQ(n, 50000u);
}

}  // namespace
}  // namespace resync

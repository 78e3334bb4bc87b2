// SPDX-License-Identifier: MIT
// `resync-mon report` as a cron job runs it: the real binary over a state file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "report_fixture.hpp"
#include "resync/state_file.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::HasSubstr;
using testing::Not;

int run(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv{test::resync_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  test::Process p(argv, log);
  const auto code = p.wait_exit(30s);
  EXPECT_TRUE(code) << "resync-mon " << args[0] << " did not finish";
  return code.value_or(-1);
}

TEST(ReportCommandTest, WritesAReadableReportOfAStateFileAtomically) {
  test::TempDir dir;
  const auto monitor = test::ReportFixture::monitor();
  const std::string state = dir.file("state"), out = dir.file("resync.html");
  write_file_atomically(state, encode_state(monitor->config().interval, monitor->layout(),
                                            monitor->store().snapshot()));
  const mode_t mask = ::umask(022);

  ASSERT_EQ(run({"report", "--state", state, "--out", out, "--minutes", "600", "--title",
                 "Nightly <ops>"},
                dir.file("report.log")),
            0)
      << test::read_file(dir.file("report.log"));
  ::umask(mask);
  const std::string html = test::read_file(out);
  EXPECT_THAT(html, HasSubstr("<title>Nightly &lt;ops&gt;</title>"));
  EXPECT_THAT(html, HasSubstr("from <b>" + state + "</b>"));
  // Ten hours asked, two held: not an error, and the report says so.
  EXPECT_THAT(html, HasSubstr("Asked for 10 h; the source holds only 2 h."));
  // The plugins' descriptions were found for the file's series: every dashboard card has values.
  EXPECT_THAT(html, Not(HasSubstr("not configured")));
  EXPECT_THAT(html, HasSubstr("<dt>RSS</dt><dd>14.5 MiB</dd>"));
  EXPECT_FALSE(fs::exists(out + ".tmp"));
  // A web server running as another user must be able to read it.
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(test::read_file(dir.file("report.log")), "");
}

TEST(ReportCommandTest, MissingSourceOrOutIsOneClearLine) {
  test::TempDir dir;
  const std::string out = dir.file("x.html");
  EXPECT_NE(run({"report", "--state", dir.file("nothing"), "--out", out}, dir.file("missing.log")),
            0);
  const std::string missing = test::read_file(dir.file("missing.log"));
  EXPECT_THAT(missing, HasSubstr(dir.file("nothing")));
  EXPECT_EQ(std::count(missing.begin(), missing.end(), '\n'), 1) << missing;
  EXPECT_FALSE(fs::exists(out));

  EXPECT_EQ(run({"report", "--state", dir.file("nothing")}, dir.file("no_out.log")), 2);
  EXPECT_THAT(test::read_file(dir.file("no_out.log")), HasSubstr("--out"));
}

}  // namespace
}  // namespace resync

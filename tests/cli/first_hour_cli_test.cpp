// SPDX-License-Identifier: MIT
// A new user's first hour (issue 15), as that user meets it: the real binary, real servers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "run_cli.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::run_cli;
using testing::HasSubstr;
using testing::Not;

// A port that completes TCP handshakes (the kernel's backlog) and never answers: a reader of it
// waits until its --timeout, long enough to be interrupted.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ADD_FAILURE() << "cannot listen";
    }
    port_ = ntohs(a.sin_port);
  }
  ~SilentListener() {
    if (client_ >= 0) ::close(client_);
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // True once a client has connected (it is then waiting for an answer).
  bool wait_for_client(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
    client_ = ::accept(fd_, nullptr, nullptr);
    return client_ >= 0;
  }

 private:
  int fd_ = -1, client_ = -1;
  uint16_t port_ = 0;
};

std::string system_config(const test::TempDir& dir, const std::string& extra = "") {
  const std::string path = dir.file("resync.yaml");
  test::write_file(path, "interval: 200ms\nwindow: 1m\nplugin_dir: \"" + test::plugin_build_dir() +
                             "\"\ncollectors:\n  - plugin: system\n" + extra);
  return path;
}

TEST(FirstHourTest, ReadersNeedNoServerSecrets) {
  test::TempDir dir;
  const std::string config = dir.file("b.yaml");
  test::write_file(config, "state_file: \"" + dir.file("state") +
                               "\"\nserver:\n  auth:\n    token: \"${RESYNC_TEST_UNSET_TOKEN}\"\n"
                               "notify:\n  webhook:\n    url: \"${RESYNC_TEST_UNSET_HOOK}\"\n");
  // The reader gets as far as the state file: the secret was not asked for.
  test::RunResult r = run_cli({"history", "--config", config});
  EXPECT_EQ(r.code, 6) << r.err;
  EXPECT_EQ(r.err, "resync-mon: cannot read state file " + dir.file("state") +
                       ": No such file or directory\n");
  r = run_cli({"plan", "--config", config});
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string dead = "http://127.0.0.1:" + std::to_string(test::free_port());
  r = run_cli({"current", "--config", config, "--url", dead});
  EXPECT_EQ(r.code, 6) << r.err;
  EXPECT_EQ(r.err, "resync-mon: " + dead + "/api/monitoring/window: connection refused\n");
  r = run_cli({"check", "--config", config, "--state", dir.file("state")});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.out, HasSubstr("cannot read state file"));
  // serve needs it, and its hint leads somewhere valid (not ${VAR:-}, which auth refuses).
  r = run_cli({"serve", "--config", config, "--bind", "127.0.0.1:0"});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("server.auth.token: environment variable RESYNC_TEST_UNSET_TOKEN "
                               "is not set (export it where resync-mon runs"));
  EXPECT_THAT(r.err, Not(HasSubstr(":-}")));
  // current sampling here would run collectors, so it still refuses.
  r = run_cli({"current", "--config", config});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("RESYNC_TEST_UNSET_TOKEN is not set"));
}

TEST(FirstHourTest, TyposNameTheNearestValidWord) {
  test::RunResult r = run_cli({"--confg", "x.yaml", "plan"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "resync-mon: unknown option --confg; did you mean --config? (see resync-mon --help)\n");
  r = run_cli({"config", "chek", "x.yaml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "resync-mon: unknown subcommand \"chek\" of resync-mon config; did you mean check? "
            "(known: check; see resync-mon config --help)\n");
  r = run_cli({"history", "--minute", "5"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "resync-mon: unknown option --minute for resync-mon history; did you mean --minutes? "
            "(see resync-mon history --help)\n");
  r = run_cli({"history", "--minutes", "0"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "resync-mon: --minutes: expected a whole number of minutes, 1 or more, got \"0\" "
            "(see resync-mon history --help)\n");
  r = run_cli({"check", "--metirc", "x"});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.out, HasSubstr("RESYNC-MON UNKNOWN - unknown option --metirc for resync-mon "
                               "check; did you mean --metric?"));
}

TEST(FirstHourTest, MissingConfigFileIsExitThreeEverywhere) {
  const test::RunResult global = run_cli({"--config", "/nonexistent/x.yaml", "plan"});
  const test::RunResult check = run_cli({"config", "check", "/nonexistent/x.yaml"});
  EXPECT_EQ(global.code, 3);
  EXPECT_EQ(check.code, 3);
  EXPECT_EQ(global.err,
            "resync-mon: /nonexistent/x.yaml: cannot read: No such file or directory\n");
  EXPECT_EQ(global.err, check.err);
}

TEST(FirstHourTest, ConfigCheckRefusesAStateFileInAMissingFolder) {
  test::TempDir dir;
  const std::string config = system_config(dir, "state_file: \"" + dir.file("nope") + "/state\"\n");
  const test::RunResult r = run_cli({"config", "check", config});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "resync-mon: " + config + ": state_file: folder " + dir.file("nope") +
                       " does not exist (create it, or point state_file elsewhere)\n");
}

TEST(FirstHourTest, HelpShowsOnlyTheSubcommandsExitCodesAndTheGlobalConfig) {
  const test::RunResult history = run_cli({"history", "--help"});
  EXPECT_EQ(history.code, 0);
  EXPECT_THAT(history.out, HasSubstr("-c,--config FILE"));
  EXPECT_THAT(history.out, HasSubstr("  6  the source cannot be read"));
  EXPECT_THAT(history.out, Not(HasSubstr("  5  the server could not bind")));
  EXPECT_THAT(history.out, Not(HasSubstr("  9  another resync-mon serve")));
  const test::RunResult serve = run_cli({"serve", "--help"});
  EXPECT_THAT(serve.out, HasSubstr("  9  another resync-mon serve"));
  EXPECT_THAT(serve.out, Not(HasSubstr("  7  the server refused")));
  const test::RunResult check = run_cli({"check", "--help"});
  EXPECT_THAT(check.out, HasSubstr("-c,--config FILE"));
  EXPECT_THAT(check.out, HasSubstr("0 OK, 1 WARNING, 2 CRITICAL"));
  EXPECT_THAT(check.out, Not(HasSubstr("  4  a plugin")));
  const test::RunResult plan = run_cli({"plan", "--help"});
  EXPECT_THAT(plan.out, HasSubstr("-c,--config FILE"));
}

TEST(FirstHourTest, InstalledBinaryDoesNotListAPluginsFolderBesideItThatIsNotThere) {
  test::TempDir dir;
  fs::create_directories(dir.file("bin"));
  const std::string copy = dir.file("bin/resync-mon");
  fs::copy_file(test::resync_binary(), copy);
  fs::permissions(copy, fs::perms::owner_all);
  const std::string log = dir.file("out");
  test::Process p({copy, "plugins"}, log);
  ASSERT_TRUE(p.wait_exit(30s).has_value());
  const std::string out = test::read_file(log);
  EXPECT_THAT(out, HasSubstr("Searched: "));
  EXPECT_THAT(out, Not(HasSubstr(dir.file("bin/plugins"))));
  EXPECT_THAT(out, Not(HasSubstr(dir.file("lib/resync-mon/plugins"))));
  // The build tree's folder is there, so the built binary does look in it.
  const test::RunResult built = run_cli({"plugins"});
  EXPECT_THAT(built.out, HasSubstr(fs::path(test::resync_binary()).parent_path() / "plugins"));
}

TEST(FirstHourTest, CorruptStateReasonsArePlainWords) {
  test::TempDir dir;
  test::write_file(dir.file("foreign"), "PK\x03\x04 a zip file, not a state file");
  const test::RunResult r = run_cli({"history", "--state", dir.file("foreign")});
  EXPECT_EQ(r.code, 8);
  EXPECT_EQ(r.err,
            "resync-mon: state file " + dir.file("foreign") + ": not a resync-mon state file\n");
}

TEST(FirstHourTest, CtrlCDuringCheckIsUnknownAndDuringCurrentIsNotStarting) {
  test::TempDir dir;
  for (const std::string sub : {"check", "current"}) {
    SilentListener silent;
    const std::string log = dir.file(sub + ".log");
    test::Process p({test::resync_binary(), sub, "--url", silent.url(), "--timeout", "60s"}, log);
    ASSERT_TRUE(silent.wait_for_client(30s)) << sub;
    p.signal(SIGINT);
    const auto code = p.wait_exit(10s);
    ASSERT_TRUE(code.has_value()) << sub;
    const std::string out = test::read_file(log);
    if (sub == "check") {
      EXPECT_EQ(*code, 3);
      EXPECT_EQ(out, "RESYNC-MON UNKNOWN - interrupted by SIGINT\n");
    } else {
      EXPECT_EQ(*code, 128 + SIGINT);
      EXPECT_THAT(out, HasSubstr("received SIGINT, exiting"));
      EXPECT_THAT(out, Not(HasSubstr("while starting")));
    }
  }
}

// One real serve for the URL and window tests.
class FirstHourServeTest : public testing::Test {
 protected:
  void SetUp() override {
    serve_ = std::make_unique<test::ServeProcess>(system_config(dir_), dir_.file("serve.log"));
    ASSERT_FALSE(serve_->url().empty());
    // Wait for a few samples, so older rows exist besides the newest.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto h = test::http_get(serve_->url() + "/api/monitoring/health");
      Poco::JSON::Parser parser;
      const auto doc = parser.parse(h.body).extract<Poco::JSON::Object::Ptr>();
      if (doc->getValue<int>("samples_collected") >= 5) return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "serve took no 5 samples in 30 s";
  }
  test::TempDir dir_;
  std::unique_ptr<test::ServeProcess> serve_;
};

TEST_F(FirstHourServeTest, DashboardUrlIsAcceptedAsTheServerUrl) {
  const test::RunResult r = run_cli({"current", "--url", serve_->url() + "/monitoring"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, testing::ContainsRegex("host_memory_percent +system +[0-9.]+ %"));
}

TEST_F(FirstHourServeTest, HttpsAgainstPlainHttpFailsAtOnce) {
  std::string url = serve_->url();
  url.replace(0, 4, "https");
  const auto start = std::chrono::steady_clock::now();
  const test::RunResult r = run_cli({"current", "--url", url, "--timeout", "20s"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "not a timeout";
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err,
            "resync-mon: " + url +
                ": the server speaks plain HTTP, not TLS; use http:// instead of https://\n");
}

// Before /window, every series but a few came back as its newest value only.
TEST_F(FirstHourServeTest, UrlReaderGetsEveryRowOfEverySeries) {
  const test::RunResult r =
      run_cli({"history", "--url", serve_->url(), "--format", "csv", "--series", "host_load1"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);  // header
  size_t rows = 0, values = 0;
  while (std::getline(lines, line)) {
    ++rows;
    if (!line.empty() && line.back() != ',') ++values;
  }
  EXPECT_GE(rows, 5u);
  EXPECT_EQ(values, rows) << r.out;
}

TEST_F(FirstHourServeTest, WindowEndpointHasEtagAndGzip) {
  const auto plain = test::http_get(serve_->url() + "/api/monitoring/window");
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.body.substr(0, 8), "RSYNCMON");
  EXPECT_EQ(plain.headers.count("etag"), 1u);
  const auto zipped =
      test::http_get(serve_->url() + "/api/monitoring/window", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(zipped.headers.count("content-encoding") ? zipped.headers.at("content-encoding") : "",
            "gzip");
}

TEST(FirstHourTest, OutFilesFollowTheUmask) {
  test::TempDir dir;
  test::write_file(dir.file("x"), "");
  for (const auto& [umask, mode] : {std::pair{"022", 0644u}, std::pair{"077", 0600u}}) {
    const std::string out = dir.file(std::string("h") + umask + ".csv");
    // A state file of no rows would do, but a missing one fails first: any readable source.
    test::Process p({"/bin/sh", "-c",
                     std::string("umask ") + umask + "; exec '" + test::resync_binary() +
                         "' history --state '" + test::test_data_dir() +
                         "/state/system-v1.state' --format csv --out '" + out + "'"},
                    dir.file("log"));
    ASSERT_EQ(p.wait_exit(30s), std::optional<int>(0)) << test::read_file(dir.file("log"));
    struct stat st {};
    ASSERT_EQ(::stat(out.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, mode) << "umask " << umask;
  }
}

}  // namespace
}  // namespace resync

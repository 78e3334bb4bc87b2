// SPDX-License-Identifier: MIT
// `resync-mon hash-password` and serve with server.auth.password_hash, as an operator uses them:
// the real binary, the hash it prints (and one from `openssl passwd -6`) in a config file, and
// requests with and without the password.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "resync/password_hash.hpp"
#include "run_cli.hpp"

namespace resync {
namespace {

using test::run_cli;
using testing::HasSubstr;
using testing::StartsWith;

// Runs `command` through sh with its stdout in `out`; returns the exit code.
int shell(const std::string& command, std::string& out) {
  test::TempDir dir("resync-sh");
  test::Process p({"/bin/sh", "-c", command + " >" + dir.file("out") + " 2>&1"});
  const auto code = p.wait_exit(std::chrono::seconds{60});
  out = test::read_file(dir.file("out"));
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return code.value_or(-1);
}

std::string config_with_hash(const std::string& hash) {
  return "interval: 200ms\nplugin_dir: \"" + test::plugin_build_dir() +
         "\"\nserver:\n  auth: {user: ops, password_hash: '" + hash +
         "'}\ncollectors:\n  - plugin: system\n";
}

TEST(PasswordCliTest, HashPasswordReadsStdinAndItsHashGuardsTheServer) {
  std::string hash;
  ASSERT_EQ(
      shell("printf 'correct horse\\n' | '" + test::resync_binary() + "' hash-password", hash), 0)
      << hash;
  EXPECT_THAT(hash, StartsWith("$y$"));
  EXPECT_THAT(hash, testing::Not(HasSubstr("correct")));

  test::TempDir dir("resync-hash");
  test::write_file(dir.file("r.yaml"), config_with_hash(hash));
  const test::RunResult check = run_cli({"config", "check", dir.file("r.yaml")});
  EXPECT_EQ(check.code, 0) << check.err;
  EXPECT_THAT(check.out + check.err, testing::Not(HasSubstr(hash)));

  test::ServeProcess serve(dir.file("r.yaml"), dir.file("serve.log"));
  ASSERT_FALSE(serve.url().empty());
  const std::string url = serve.url() + "/api/monitoring/health";
  // "ops:correct horse" and "ops:correct hors3" in base64.
  EXPECT_EQ(test::http_get(url, {{"Authorization", "Basic b3BzOmNvcnJlY3QgaG9yc2U="}}).status, 200);
  EXPECT_EQ(test::http_get(url, {{"Authorization", "Basic b3BzOmNvcnJlY3QgaG9yczM="}}).status, 401);
  EXPECT_EQ(test::http_get(url).status, 401);
  EXPECT_EQ(test::http_get(serve.url() + "/health").status, 200);
  EXPECT_THAT(test::read_file(dir.file("serve.log")), testing::Not(HasSubstr(hash)));
}

TEST(PasswordCliTest, AnOpensslSha512HashWorksAndAMalformedOneIsAConfigError) {
  std::string hash;
  ASSERT_EQ(shell("openssl passwd -6 'correct horse'", hash), 0) << hash;
  test::TempDir dir("resync-hash6");
  test::write_file(dir.file("ok.yaml"), config_with_hash(hash));
  test::ServeProcess serve(dir.file("ok.yaml"), dir.file("serve.log"));
  ASSERT_FALSE(serve.url().empty());
  EXPECT_EQ(test::http_get(serve.url() + "/api/monitoring/current",
                           {{"Authorization", "Basic b3BzOmNvcnJlY3QgaG9yc2U="}})
                .status,
            200);

  test::write_file(dir.file("bad.yaml"), config_with_hash("$1$abc$def"));
  const test::RunResult bad = run_cli({"config", "check", dir.file("bad.yaml")});
  EXPECT_EQ(bad.code, 3);
  EXPECT_THAT(bad.err, HasSubstr("server.auth.password_hash: not a crypt(3) hash"));
}

TEST(PasswordCliTest, HashPasswordRefusesAnEmptyPassword) {
  std::string out;
  EXPECT_EQ(shell("printf '\\n' | '" + test::resync_binary() + "' hash-password", out), 2);
  EXPECT_THAT(out, HasSubstr("empty password"));
}

TEST(PasswordCliTest, APlainPasswordBeyondLoopbackIsWarnedAbout) {
  test::TempDir dir("resync-plain");
  const std::string body = "interval: 200ms\nplugin_dir: \"" + test::plugin_build_dir() +
                           "\"\ncollectors:\n  - plugin: system\nserver:\n  auth: {user: ops, "
                           "password: pw}\n  bind: ";
  test::write_file(dir.file("lo.yaml"), body + "\"127.0.0.1:0\"\n");
  test::write_file(dir.file("wide.yaml"), body + "\"0.0.0.0:0\"\n");
  // The same beyond loopback over TLS: the password no longer crosses the network in clear.
  std::string made;
  ASSERT_EQ(shell("cd '" + dir.path() +
                      "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                      "-days 2 -subj /CN=localhost -keyout key.pem -out cert.pem 2>&1",
                  made),
            0)
      << made;
  test::write_file(dir.file("tls.yaml"), body +
                                             "\"0.0.0.0:0\"\n  tls: {cert_file: cert.pem, "
                                             "key_file: key.pem}\n");
  for (const char* name : {"lo", "wide", "tls"}) {
    const std::string log = dir.file(std::string(name) + ".log");
    test::Process serve(
        {test::resync_binary(), "--config", dir.file(std::string(name) + ".yaml"), "serve"}, log);
    auto read = [&] { return std::filesystem::exists(log) ? test::read_file(log) : ""; };
    // The warning, if any, comes before the line naming the dashboard.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    while (std::chrono::steady_clock::now() < deadline &&
           read().find("dashboard at") == std::string::npos && serve.running())
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    const std::string text = read();
    ASSERT_THAT(text, HasSubstr("dashboard at")) << name;
    if (std::string(name) != "wide") {
      EXPECT_THAT(text, testing::Not(HasSubstr("plain text"))) << name;
    } else {
      EXPECT_THAT(text, HasSubstr("server.auth.password is stored in plain text"));
      EXPECT_THAT(text, HasSubstr("set server.tls"));
    }
    if (std::string(name) == "tls") {
      EXPECT_THAT(text, HasSubstr("dashboard at https://"));
    }
    EXPECT_THAT(text, testing::Not(HasSubstr("pw}")));
  }
}

// A yescrypt check costs tens of milliseconds. While clients send wrong passwords as fast as they
// get answers, the server's event loop must keep answering at once: /health (no auth) and a
// dashboard whose credentials were verified before (cached) wait for no hash.
TEST(PasswordCliTest, WrongPasswordsByTheDozenStallNoOtherRequest) {
  const std::string hash = hash_password("correct horse");
  const auto hashing = std::chrono::steady_clock::now();
  ASSERT_FALSE(verify_password("wrong", hash));
  const auto one_hash = std::chrono::steady_clock::now() - hashing;
  test::TempDir dir("resync-hash");
  test::write_file(dir.file("r.yaml"), config_with_hash(hash));
  test::ServeProcess serve(dir.file("r.yaml"), dir.file("serve.log"));
  ASSERT_FALSE(serve.url().empty());
  const std::map<std::string, std::string> good{
      {"Authorization", "Basic b3BzOmNvcnJlY3QgaG9yc2U="}};
  const std::string api = serve.url() + "/api/monitoring/health";
  ASSERT_EQ(test::http_get(api, good).status, 200);  // verified once, then remembered

  constexpr int kGuessers = 24;
  std::atomic<bool> done{false};
  std::atomic<int> refused{0}, busy{0};
  std::vector<std::thread> guessers;
  for (int i = 0; i < kGuessers; ++i) {
    guessers.emplace_back([&] {
      while (!done.load()) {
        const int status =
            test::http_get(api, {{"Authorization", "Basic b3BzOmNvcnJlY3QgaG9yczM="}}).status;
        if (status == 401) refused.fetch_add(1);
        if (status == 429) busy.fetch_add(1);
      }
    });
  }
  ASSERT_TRUE(test::eventually([&] { return refused.load() >= 10; }));
  std::chrono::steady_clock::duration slowest{0};
  for (int i = 0; i < 20; ++i) {
    for (const auto& [url, headers] :
         {std::pair{serve.url() + "/health", std::map<std::string, std::string>{}},
          std::pair{api, good}}) {
      const auto started = std::chrono::steady_clock::now();
      EXPECT_EQ(test::http_get(url, headers).status, 200) << url;
      slowest = std::max(slowest, std::chrono::steady_clock::now() - started);
    }
  }
  done = true;
  for (auto& t : guessers) t.join();
  // Hashed on the loop, a request would wait behind up to kGuessers hashes; allow a quarter.
  const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  EXPECT_LT(ms(slowest), ms(one_hash) * kGuessers / 4) << "one hash took " << ms(one_hash) << " ms";
  EXPECT_GT(refused.load(), 0);
}

}  // namespace
}  // namespace resync

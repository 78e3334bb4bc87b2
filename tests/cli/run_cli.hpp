// SPDX-License-Identifier: MIT
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace resync::test {

struct RunResult {
  int code = -1;
  std::string out, err;
};

/// Runs the built resync-mon with `args` and the extra environment `env`, its stdout and
/// stderr captured apart; fails the test if it does not exit within `timeout`.
inline RunResult run_cli(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds{60}) {
  TempDir dir("resync-cli");
  std::string command = "exec '" + resync_binary() + "'";
  for (const std::string& a : args) command += " '" + a + "'";
  command += " >" + dir.file("out") + " 2>" + dir.file("err");
  Process process({"/bin/sh", "-c", command}, "", env);
  RunResult r;
  const auto code = process.wait_exit(timeout);
  EXPECT_TRUE(code.has_value()) << "resync-mon did not exit: " << command;
  r.code = code.value_or(-1);
  r.out = read_file(dir.file("out"));
  r.err = read_file(dir.file("err"));
  return r;
}

/// `resync-mon serve` started on a free port with `config`; stopped by PID when destroyed.
class ServeProcess {
 public:
  ServeProcess(const std::string& config, const std::string& log,
               const std::map<std::string, std::string>& env = {},
               std::vector<std::string> extra = {});
  /// "http://127.0.0.1:PORT" (https with server.tls), or "" when it did not start (the test has
  /// failed then).
  const std::string& url() const { return url_; }
  Process& process() { return process_; }
  /// Waits (test::eventually) until /api/monitoring/health counts at least `samples` samples
  /// taken; false if that does not come within kPatience.
  bool wait_for_samples(size_t samples, const std::map<std::string, std::string>& headers = {});

 private:
  static std::vector<std::string> argv(const std::string& config, std::vector<std::string> extra);
  Process process_;
  std::string url_;
};

}  // namespace resync::test

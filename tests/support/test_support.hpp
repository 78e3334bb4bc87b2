// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

/// Helpers for tests that run real servers (redis-server, nginx, prometheus, resync-mon):
/// processes started on loopback and stopped by PID, free ports, temporary folders, HTTP.
namespace resync::test {

/// How long a test waits for something that must happen: far beyond what it takes on a 2-core
/// machine saturated by other work, so only a real failure reaches it and a passing test never
/// waits it out.
inline constexpr std::chrono::milliseconds kPatience{30'000};

/// Whether `condition()` becomes true within `timeout`, asked every `poll` and once more at the
/// deadline. The one way tests wait for what must happen; a test that asserts something did NOT
/// happen holds the clock instead of waiting a margin.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = kPatience,
                std::chrono::milliseconds poll = std::chrono::milliseconds{10}) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(poll);
  }
  return condition();
}

/// A child process started for a test. The destructor stops it by PID (SIGTERM, then SIGKILL
/// after a grace period) and reaps it, so no server outlives its test.
class Process {
 public:
  /// Starts argv[0] (searched in PATH) with its stdout and stderr appended to `log_path`
  /// (or /dev/null). Throws std::runtime_error if it cannot be started.
  explicit Process(std::vector<std::string> argv, const std::string& log_path = "",
                   const std::map<std::string, std::string>& extra_env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  /// True while the process has not exited.
  bool running();
  /// Sends `signal` to the process.
  void signal(int signal);
  /// SIGTERM, wait up to `grace`, then SIGKILL; returns the exit status as from waitpid (or -1).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds{5});
  /// Waits up to `timeout` for the process to exit by itself; returns its exit code, or
  /// nullopt if it still runs. A process killed by a signal gives 128 + signal.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

/// A port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back, close).
uint16_t free_port();
/// Polls until something accepts TCP connections on 127.0.0.1:port; false after `timeout`.
bool wait_for_port(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds{10});

/// Full path of an executable found in PATH, /usr/sbin or /sbin, or nullopt.
std::optional<std::string> find_program(const std::string& name);

/// A fresh folder under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "resync-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  ///< lower-case names
};
/// Plain HTTP request to a loopback test server; throws on connection failure.
HttpResult http_request(const std::string& method, const std::string& url,
                        const std::map<std::string, std::string>& headers = {},
                        const std::string& body = "",
                        std::chrono::milliseconds timeout = std::chrono::seconds{10});
inline HttpResult http_get(const std::string& url,
                           const std::map<std::string, std::string>& headers = {}) {
  return http_request("GET", url, headers);
}

/// The names of a plugin's described series, in order.
template <class Descriptions>
std::vector<std::string> series_names(const Descriptions& series) {
  std::vector<std::string> names;
  for (const auto& d : series) names.push_back(d.name);
  return names;
}

/// Path of the built resync-mon binary and plugin folder, and the tests/data folder.
std::string resync_binary();
std::string plugin_build_dir();
std::string test_data_dir();

}  // namespace resync::test

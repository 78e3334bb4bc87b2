// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

/// Process helpers for the isolation tests, reading /proc.
namespace resync::test {

inline std::string fixture_plugin_path() { return std::string(RESYNC_FIXTURE_DIR) + "/fixture.so"; }

/// The state letter of /proc/<pid>/stat ('R', 'S', 'Z'...), or '\0' when there is no such process.
inline char process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '\0' : stat[paren + 2];
}

/// Whether `pid` has a /proc entry, zombies included: a child not reaped yet still exists.
inline bool process_exists(pid_t pid) { return process_state(pid) != '\0'; }

/// Whether `pid` is gone or a zombie (no longer running; reaping it is its new parent's job)
/// within `timeout`.
inline bool eventually_gone(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const char s = process_state(pid);
    if (s == '\0' || s == 'Z' || s == 'X') return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
}

/// The pids whose parent is `parent`, from every /proc/<pid>/stat: children forked by any thread.
inline std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 4 >= stat.size()) continue;
    // ") S 1234 ...": the state letter, then the parent's pid.
    if (std::stol(stat.substr(paren + 4)) == parent) out.push_back(std::stoi(name));
  }
  return out;
}

}  // namespace resync::test

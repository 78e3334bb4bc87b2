// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "collector_frames.hpp"
#include "resync/collector.hpp"

namespace resync {

/// A collector whose plugin runs in a `resync-mon collector-host` child process (isolation:
/// process), behind the same Collector interface as PluginCollector. collect() never takes
/// longer than the deadline (the collector's timeout, less a margin): a child that crashes,
/// hangs past it, exits or writes anything but well-formed frames is killed, reaped and
/// restarted at a later collect(), after a delay that doubles per consecutive failure (500 ms up
/// to 30 s) and resets after one good collection. Children get SIGKILL when the thread that
/// started them ends (PR_SET_PDEATHSIG), and so when the monitor dies.
///
/// Thread-safe: like every Collector, called from one thread at a time; restarts() may be read
/// from that same thread only.
class ProcessCollector final : public Collector {
 public:
  struct Options {
    std::string executable;   ///< resync-mon (collector_host_executable())
    std::string plugin_path;  ///< the .so, already validated by the parent's loader
    std::string plugin;       ///< the name it declares
    std::string instance;     ///< collector instance name, for messages and the child's log
    std::string config_json;  ///< what create() gets; sent over the channel, never on argv
    std::chrono::milliseconds timeout{2000};         ///< deadline of one collect()
    std::chrono::milliseconds start_timeout{10000};  ///< first start and create(), in the ctor
  };

  /// Starts the child and runs create() in it. Throws PluginLoadError with create()'s message
  /// (so a bad key is placed in the config file as in-process), or naming the crash or timeout.
  explicit ProcessCollector(Options options);
  /// Closes the channel, waits briefly for the child to exit, then kills and reaps it.
  ~ProcessCollector() override;
  ProcessCollector(const ProcessCollector&) = delete;
  ProcessCollector& operator=(const ProcessCollector&) = delete;

  void collect(SampleSink& sink) override;
  std::string status() const override { return status_; }
  uint64_t restarts() const override { return restarts_; }
  const char* isolation() const override { return "process"; }

  /// The running child's pid, or -1 (tests).
  pid_t pid() const { return pid_; }

 private:
  using Clock = std::chrono::steady_clock;

  /// Spawns a child and runs create() in it before `deadline`. On failure no child is left and
  /// `why` says what happened; `create_failed` tells create()'s own error from a crash.
  bool start(Clock::time_point deadline, std::string& why, bool& create_failed);
  /// Closes the channel, waits for the child to exit until `grace_until`, then kills it, and
  /// reaps it; returns how it ended ("crashed: SIGSEGV", "exited with code 3").
  std::string end_child(Clock::time_point grace_until);
  /// Records a failure of the child, schedules its restart and throws CollectError(message).
  [[noreturn]] void fail(const std::string& message);

  Options options_;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::optional<detail::Channel> channel_;
  std::string status_;
  uint64_t restarts_ = 0;
  uint32_t consecutive_failures_ = 0;
  Clock::time_point next_start_{};
  std::string last_failure_;
};

}  // namespace resync

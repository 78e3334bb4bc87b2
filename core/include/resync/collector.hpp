// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace resync {

/// Receives the values of one collection.
class SampleSink {
 public:
  virtual ~SampleSink() = default;
  virtual void emit(std::string_view metric, double value) = 0;
};

/// A source of samples. The sampler never calls collect() on one instance from two threads,
/// so implementations need no locking of their own.
class Collector {
 public:
  virtual ~Collector() = default;
  /// Collects one sample into `sink`. Throws CollectError on failure.
  virtual void collect(SampleSink& sink) = 0;
  /// Short state of the target after the last collect() ("ok", "down: ...", "unauthorized"),
  /// or "" when the collector has nothing to add. Called from the collecting thread only.
  virtual std::string status() const { return {}; }
  /// Times the collector's process was restarted after a crash, hang or protocol error; always
  /// 0 for a collector that runs in the monitor's process. Called from the collecting thread only.
  virtual uint64_t restarts() const { return 0; }
  /// Where the collector's code runs: "in-process" or "process" (a child process).
  virtual const char* isolation() const { return "in-process"; }
};

}  // namespace resync

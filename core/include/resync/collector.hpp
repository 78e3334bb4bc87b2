// SPDX-License-Identifier: MIT
#pragma once

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
};

}  // namespace resync

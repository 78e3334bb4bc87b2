// SPDX-License-Identifier: MIT
#pragma once

#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

/// What the cache collector reads from a source, and how a source fails.
namespace resync::plugin::cache {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Cumulative counters and the key count as the cache reports them; NaN where it has none.
struct Readings {
  double hits = kNaN;
  double misses = kNaN;
  double size = kNaN;
  double evictions = kNaN;
};

/// A failed read of the cache: `what()` becomes last_error, `status()` the collector's status
/// line. Neither ever holds a password or token.
class ReadError : public std::runtime_error {
 public:
  ReadError(const std::string& what, std::string status)
      : std::runtime_error(what), status_(std::move(status)) {}
  const std::string& status() const { return status_; }

 private:
  std::string status_;
};

/// Where the readings come from. Not thread-safe: the host never calls one collector instance
/// from two threads.
class Source {
 public:
  virtual ~Source() = default;
  /// Reads the counters within the I/O budget given at construction; throws ReadError.
  virtual Readings read() = 0;
};

}  // namespace resync::plugin::cache

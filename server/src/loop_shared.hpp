// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace resync::server::detail {

class ConnectionLoop;

/// What the event loops of one server share: the per-client connection counts, the number
/// of open connections, and the loops themselves, so that an accepted connection goes to the one
/// holding the fewest.
///
/// Thread-safe: every method from any thread.
class LoopShared {
 public:
  /// `max_per_client`: open connections per client address; 0 = no cap.
  explicit LoopShared(size_t max_per_client) : max_per_client_(max_per_client) {}
  /// Counts a new connection from `client`; false, counting nothing, when the cap is reached.
  bool admit(const std::string& client);
  void release(const std::string& client);
  size_t open() const { return open_.load(); }
  size_t max_per_client() const { return max_per_client_; }
  /// accept() failed (out of descriptors): true for the call that opens an episode, which logs
  /// it. The episode lasts until a loop finds the backlog empty, so it is logged once whichever
  /// loop meets it.
  bool accept_failed();
  /// The backlog is empty: how long accepting failed, for the call that closes an episode.
  std::optional<std::chrono::steady_clock::duration> backlog_empty();
  bool accept_failing();
  /// The loops, set once before any starts.
  void set_loops(std::vector<ConnectionLoop*> loops) { loops_ = std::move(loops); }
  /// The loop that should take a new connection: the one with the fewest, `self` on a tie.
  ConnectionLoop& pick(ConnectionLoop& self);

 private:
  std::vector<ConnectionLoop*> loops_;
  const size_t max_per_client_;
  std::mutex mutex_;
  std::unordered_map<std::string, size_t> per_client_;
  std::atomic<size_t> open_{0};
  bool accept_failing_ = false;  // guarded by mutex_
  std::chrono::steady_clock::time_point accept_failing_since_{};
};

}  // namespace resync::server::detail

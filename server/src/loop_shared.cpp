// SPDX-License-Identifier: MIT
// What the event loops share: the per-client cap, the accept-failure episode, and which loop takes
// a new connection.
#include "loop_shared.hpp"

#include "connection_loop.hpp"

namespace resync::server::detail {

bool LoopShared::admit(const std::string& client) {
  std::lock_guard lock(mutex_);
  size_t& count = per_client_[client];
  if (max_per_client_ != 0 && count >= max_per_client_) return false;
  ++count;
  ++open_;
  return true;
}

bool LoopShared::accept_failed() {
  std::lock_guard lock(mutex_);
  if (accept_failing_) return false;
  accept_failing_ = true;
  accept_failing_since_ = std::chrono::steady_clock::now();
  return true;
}

std::optional<std::chrono::steady_clock::duration> LoopShared::backlog_empty() {
  std::lock_guard lock(mutex_);
  if (!accept_failing_) return std::nullopt;
  accept_failing_ = false;
  return std::chrono::steady_clock::now() - accept_failing_since_;
}

bool LoopShared::accept_failing() {
  std::lock_guard lock(mutex_);
  return accept_failing_;
}

ConnectionLoop& LoopShared::pick(ConnectionLoop& self) {
  // Once per connection; without the lock two loops accepting at once could both pick the same.
  std::lock_guard lock(mutex_);
  ConnectionLoop* best = &self;
  for (ConnectionLoop* loop : loops_) {
    if (loop->assigned() < best->assigned()) best = loop;
  }
  ++best->assigned_;
  return *best;
}

void LoopShared::release(const std::string& client) {
  std::lock_guard lock(mutex_);
  --open_;
  const auto it = per_client_.find(client);
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

}  // namespace resync::server::detail

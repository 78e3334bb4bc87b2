// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace resync::server::detail {

/// A few threads for work that takes time (rendering a large document, the HTML report), so the
/// connection loop never waits for it. Threads start when work arrives and end after
/// `idle_time` without any, so an idle server holds none.
///
/// Thread-safe: every method from any thread.
class RenderPool {
 public:
  /// `threads` = 0: one per core.
  explicit RenderPool(size_t threads,
                      std::chrono::milliseconds idle_time = std::chrono::seconds{10});
  /// Calls stop().
  ~RenderPool();
  RenderPool(const RenderPool&) = delete;
  RenderPool& operator=(const RenderPool&) = delete;

  /// Runs `job` on a pool thread. Jobs submitted after stop() are dropped.
  void submit(std::function<void()> job);
  /// Runs the jobs already queued, then joins every thread. Idempotent.
  void stop();

  /// Threads alive now (tests and the idle-thread budget).
  size_t threads() const;

 private:
  void run();
  void reap_locked();

  const size_t max_threads_;
  const std::chrono::milliseconds idle_time_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  std::list<std::thread> threads_;
  std::vector<std::thread::id> finished_;  // ended threads not yet joined
  size_t live_ = 0, idle_ = 0;
  bool stopping_ = false;
};

}  // namespace resync::server::detail

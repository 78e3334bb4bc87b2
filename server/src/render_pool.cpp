// SPDX-License-Identifier: MIT
#include "render_pool.hpp"

#include <algorithm>

namespace resync::server::detail {

RenderPool::RenderPool(size_t threads, std::chrono::milliseconds idle_time)
    : max_threads_(threads ? threads : std::max(1u, std::thread::hardware_concurrency())),
      idle_time_(idle_time) {}

RenderPool::~RenderPool() { stop(); }

void RenderPool::submit(std::function<void()> job) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  queue_.push_back(std::move(job));
  if (idle_ > 0) return wake_.notify_one();
  if (live_ >= max_threads_) return;  // a busy thread takes it next
  reap_locked();
  ++live_;
  threads_.emplace_back([this] { run(); });
}

void RenderPool::stop() {
  std::list<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    threads.swap(threads_);
    finished_.clear();
  }
  wake_.notify_all();
  for (auto& t : threads) t.join();
}

size_t RenderPool::threads() const {
  std::lock_guard lock(mutex_);
  return live_;
}

// A thread that ended has left run() and needs the mutex no more, so joining it under the mutex
// cannot deadlock.
void RenderPool::reap_locked() {
  for (const std::thread::id id : finished_) {
    const auto it = std::find_if(threads_.begin(), threads_.end(),
                                 [id](const std::thread& t) { return t.get_id() == id; });
    if (it == threads_.end()) continue;
    it->join();
    threads_.erase(it);
  }
  finished_.clear();
}

void RenderPool::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    const bool work =
        wake_.wait_for(lock, idle_time_, [this] { return stopping_ || !queue_.empty(); });
    --idle_;
    if (queue_.empty() && (stopping_ || !work)) break;
    std::function<void()> job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
  --live_;
  if (!stopping_) finished_.push_back(std::this_thread::get_id());
}

}  // namespace resync::server::detail

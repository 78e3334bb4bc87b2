// SPDX-License-Identifier: MIT
// The sampler's collector workers: one thread per collector run, ended when it has no next job.
#include <chrono>
#include <mutex>
#include <system_error>

#include "resync/config.hpp"
#include "resync/signals.hpp"
#include "sampler_worker.hpp"

namespace resync {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Collects emitted values into (column, value) pairs; anything outside the plugin's declared
// series is dropped so a misbehaving plugin cannot write into another collector's columns.
class BufferSink final : public SampleSink {
 public:
  BufferSink(const std::unordered_map<std::string, size_t>& columns,
             std::vector<std::pair<size_t, double>>& out)
      : columns_(columns), out_(out) {}
  void emit(std::string_view metric, double value) override {
    auto it = columns_.find(std::string(metric));
    if (it != columns_.end()) out_.emplace_back(it->second, value);
  }

 private:
  const std::unordered_map<std::string, size_t>& columns_;
  std::vector<std::pair<size_t, double>>& out_;
};

}  // namespace

// Reachable from a global until the process exits (so leak checkers do not report them either).
void Sampler::abandon(std::unique_ptr<Worker> w) {
  static auto* mutex = new std::mutex;
  static auto* abandoned = new std::vector<std::unique_ptr<Worker>>;
  w->thread.detach();
  std::lock_guard lock(*mutex);
  abandoned->push_back(std::move(w));
}

// Called under Sync::mutex by dispatch() when the worker has no thread. The thread holds the Sync
// and its Worker, never the Sampler, which it may outlive.
void Sampler::start_thread(Worker& w) {
  // The previous thread left work() under this lock, so this waits only for its exit.
  if (w.thread.joinable()) w.thread.join();
  try {
    w.thread = std::thread([sync = sync_, &w] { work(*sync, w); });
    w.exited = false;
  } catch (const std::system_error& e) {
    w.has_job = false;
    w.busy = false;
    w.done_tick = w.job_tick;
    w.ok = false;
    w.duration_ms = 0;
    w.error = std::string("cannot start its thread: ") + e.what();
  }
}

// A thread runs the jobs it finds and ends when there is none (unless keep_thread): an idle
// sampler holds no thread per collector, and dispatch() starts one per tick, which costs tens of
// microseconds against an interval of seconds.
void Sampler::work(Sync& sync, Worker& w) {
  AltSignalStack alt_stack;  // so a stack overflow in a collector is reported with its name
  std::unique_lock lock(sync.mutex);
  for (;;) {
    if (w.keep_thread) w.job_cv.wait(lock, [&w] { return w.stop || w.has_job; });
    if (w.stop || !w.has_job) break;
    const uint64_t tick = w.job_tick;
    w.has_job = false;
    lock.unlock();

    std::vector<std::pair<size_t, double>> values;
    BufferSink sink(w.columns, values);
    bool ok = true;
    std::string error;
    const auto started = SteadyClock::now();
    std::string status;
    {
      const CurrentCollector current(w.entry.name.c_str());
      try {
        w.entry.collector->collect(sink);
      } catch (const std::exception& e) {
        ok = false;
        error = e.what();
      } catch (...) {
        ok = false;
        error = "unknown exception";
      }
    }
    const double elapsed =
        std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count();
    uint64_t restarts = 0;
    {
      const CurrentCollector current(w.entry.name.c_str());
      try {
        status = w.entry.collector->status();
        restarts = w.entry.collector->restarts();
      } catch (...) {
      }
    }

    if (!w.secrets.empty()) {
      error = redact(std::move(error), w.secrets);
      status = redact(std::move(status), w.secrets);
    }
    lock.lock();
    w.busy = false;
    w.done_tick = tick;
    w.ok = ok;
    w.error = std::move(error);
    w.status = std::move(status);
    w.duration_ms = elapsed;
    w.restarts = restarts;
    w.values = std::move(values);
    sync.done_cv.notify_all();
  }
  w.exited = true;
  sync.done_cv.notify_all();
}

}  // namespace resync

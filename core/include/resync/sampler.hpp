// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "resync/collector.hpp"
#include "resync/ring_buffer.hpp"
#include "resync/series.hpp"

namespace resync {

class DerivedSeries;

/// One configured collector instance handed to the Sampler.
struct CollectorEntry {
  std::string name;    ///< instance name, unique ("primary", "eu-west")
  std::string plugin;  ///< plugin name ("myplugin")
  std::unique_ptr<Collector> collector;
  std::chrono::milliseconds timeout{2000};  ///< deadline of one collect() call
};

/// Health of one collector instance, as the health document shows it.
struct CollectorHealth {
  std::string name;
  std::string plugin;
  bool up = false;               ///< the last scheduled run succeeded within its deadline
  std::string last_error;        ///< most recent failure, "" if it never failed
  int64_t last_error_at_ms = 0;  ///< epoch ms of that failure, 0 if none
  std::string status;            ///< the collector's own status text ("ok", "down: ...")
  double duration_ms = 0;        ///< duration of the last finished run
  uint32_t consecutive_failures = 0;
  std::chrono::milliseconds effective_interval{0};  ///< grows while failing (backoff)
  uint64_t runs = 0;                                ///< runs started
  uint64_t failures = 0;                            ///< runs failed or overran
  int64_t last_success_ms = 0;           ///< grid time of the last successful run, 0 if none
  std::string isolation = "in-process";  ///< "in-process" or "process" (Collector::isolation())
  uint64_t restarts = 0;  ///< restarts of its child process after a crash, hang or bad output
};

struct SamplerOptions {
  std::chrono::milliseconds interval{5000};
  /// Longest interval a failing collector backs off to; 0 = min(30 s, 8 * interval).
  std::chrono::milliseconds max_backoff{0};
  /// Values scrubbed ("***") from errors and statuses before they are stored or logged.
  std::vector<std::string> secrets;
  /// How long destruction waits for collectors still inside collect() before abandoning them
  /// (see ~Sampler()).
  std::chrono::milliseconds stop_timeout{1000};
};

/// Takes one sample every `interval` on a fixed wall-clock grid (t0 + k * interval, t0 a
/// multiple of the interval) and appends it to the store. Each tick runs every collector in
/// parallel on a thread of its own under its deadline (started for the run and ended after it
/// when no next run waits, so an idle sampler holds one thread; under isolation: process the
/// thread stays, since the child it restarts dies with it); a failing, hanging or slow collector
/// gives NaN for its series, collector_up = 0 and a last_error, and never holds back the others
/// beyond its own deadline. A collector still running from an earlier tick is not called again,
/// missed ticks are never replayed, and a failing collector backs off (its interval doubles up
/// to max_backoff; one success resets it).
///
/// Thread-safe: start()/stop() from one owning thread; health() and counters from any thread.
/// sample_at() must not be called while the loop runs.
class Sampler {
 public:
  /// Called on the sampler thread after each row is appended to the store.
  using Listener = std::function<void(int64_t timestamp_ms, const std::vector<double>& row)>;

  /// `layout` must hold, for every entry, (metric, entry.name) for each metric the entry may
  /// emit plus collector_up and collector_duration_ms; `store` must have at least as many series
  /// as `layout`, whose columns come first (the rest stay NaN: series a reload keeps).
  /// Both must outlive the sampler.
  Sampler(std::vector<CollectorEntry> entries, const SeriesLayout& layout, RingBuffer& store,
          SamplerOptions options);
  /// Stops, then waits up to options.stop_timeout for every collector to return from collect().
  /// A collector still running then (stuck in a read with no timeout, say) is abandoned, so that
  /// shutdown stays bounded: its thread is detached and its worker, with the collector and,
  /// through it, the plugin's shared library, is deliberately leaked (kept reachable until the
  /// process exits), so nothing that thread touches is freed under it. One warning line names it.
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  /// Sets the listener; call before start().
  void set_listener(Listener listener) { listener_ = std::move(listener); }
  /// Sets a function called on the sampler thread with each row just before it is appended to
  /// the store, so that what it records (the state journal) holds every row a reader can have
  /// seen. Call before start().
  void set_recorder(Listener recorder) { recorder_ = std::move(recorder); }

  /// Starts the sampling loop; the first sample is taken at the next grid point, or at
  /// `first_grid_ms` when given (a reload continues the grid of the sampler it replaces: a grid
  /// point already past is sampled at once unless a whole interval late).
  void start(int64_t first_grid_ms = 0);
  /// Stops the loop and joins its thread without waiting for collections in flight: a tick
  /// still waiting for collectors is dropped, not stored.
  void stop();
  /// Stops the loop like stop(), but lets a tick in progress finish and be stored first (bounded
  /// by the collectors' deadlines), so that a reload leaves no gap in the window.
  void stop_after_tick();

  /// A collector handed over by release_idle(), with its health so far.
  struct Released {
    CollectorEntry entry;
    CollectorHealth health;
  };
  /// After stop: ends the worker threads of the instances named in `names` that are not inside
  /// collect() and hands their collectors over; this sampler no longer runs them. A collector
  /// still inside collect() (past its deadline) stays, and is abandoned with the sampler.
  std::vector<Released> release_idle(const std::vector<std::string>& names);
  /// Before start(): continues the health counters of an instance that another sampler ran.
  void carry_health(const CollectorHealth& health);

  /// Takes one sample stamped `grid_ms` now, synchronously (for `resync-mon current` and tests).
  void sample_at(int64_t grid_ms);

  std::vector<CollectorHealth> health() const;
  std::chrono::milliseconds interval() const { return options_.interval; }
  /// Ticks skipped because the loop woke a whole interval or more late.
  uint64_t ticks_skipped() const { return ticks_skipped_.load(); }
  /// Collector runs started since construction.
  uint64_t runs_started() const { return runs_started_.load(); }

 private:
  struct Worker;
  struct Sync;
  void run_loop();
  void start_thread(Worker& w);
  static void work(Sync& sync, Worker& w);
  static void abandon(std::unique_ptr<Worker> w);

  SamplerOptions options_;
  RingBuffer& store_;
  Listener listener_;
  Listener recorder_;
  std::vector<std::unique_ptr<Worker>> workers_;

  // Shared with the worker threads, which may outlive the sampler (see ~Sampler()).
  std::shared_ptr<Sync> sync_;
  uint64_t tick_ = 0;

  std::mutex loop_mutex_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  int64_t first_grid_ms_ = 0;  // 0 = the next grid point after start()
  std::thread loop_;

  std::atomic<uint64_t> ticks_skipped_{0};
  std::atomic<uint64_t> runs_started_{0};

  std::unique_ptr<DerivedSeries> derived_;  // only touched by the thread taking samples
};

}  // namespace resync

// SPDX-License-Identifier: MIT
#include "resync/sampler.hpp"

#include "collector_health.hpp"
#include "derived_series.hpp"
#include "sampler_worker.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "resync/catalog.hpp"
#include "resync/config.hpp"
#include "resync/log.hpp"
#include "resync/util/duration.hpp"

namespace resync {
namespace {

using detail::Logs;
using SteadyClock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Sampler::Sampler(std::vector<CollectorEntry> entries, const SeriesLayout& layout, RingBuffer& store,
                 SamplerOptions options)
    : options_(options), store_(store), sync_(std::make_shared<Sync>()) {
  if (options_.max_backoff.count() <= 0) {
    options_.max_backoff =
        std::min<std::chrono::milliseconds>(std::chrono::seconds{30}, 8 * options_.interval);
  }
  options_.max_backoff = std::max(options_.max_backoff, options_.interval);
  for (CollectorEntry& e : entries) {
    auto w = std::make_unique<Worker>();
    for (size_t c = 0; c < layout.size(); ++c) {
      const SeriesKey& key = layout.key(c);
      if (key.instance != e.name) continue;
      if (key.metric == kCollectorUp)
        w->up_column = c;
      else if (key.metric == kCollectorDuration)
        w->duration_column = c;
      else
        w->columns.emplace(key.metric, c);
    }
    w->health.name = e.name;
    w->health.plugin = e.plugin;
    w->health.effective_interval = options_.interval;
    if (e.collector) w->health.isolation = e.collector->isolation();
    w->keep_thread = w->health.isolation == "process";
    w->secrets = options_.secrets;
    w->entry = std::move(e);
    workers_.push_back(std::move(w));
  }
  derived_ = std::make_unique<DerivedSeries>(layout, store.capacity());
}

Sampler::~Sampler() {
  stop();
  std::vector<bool> exited(workers_.size());
  {
    std::unique_lock lock(sync_->mutex);
    for (auto& w : workers_) {
      w->stop = true;
      w->job_cv.notify_all();
    }
    const auto all_exited = [this] {
      return std::all_of(workers_.begin(), workers_.end(), [](const auto& w) { return w->exited; });
    };
    sync_->done_cv.wait_until(lock, SteadyClock::now() + options_.stop_timeout, all_exited);
    for (size_t i = 0; i < workers_.size(); ++i) exited[i] = workers_[i]->exited;
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (exited[i]) {
      if (workers_[i]->thread.joinable()) workers_[i]->thread.join();
    } else {
      log_warning("collector " + workers_[i]->entry.name + " still running " +
                  format_duration(options_.stop_timeout) + " after stop; abandoning its thread");
      abandon(std::move(workers_[i]));
    }
  }
}

namespace {

enum class Outcome { kDispatched, kStillRunning, kBackoff };

// This and take_result() are templates only because Sampler::Worker is private to the sampler;
// they are its sample_at() in pieces, called under its lock. Hands the tick to an idle worker
// that is not backing off.
template <class Worker, class StartThread>
Outcome dispatch(Worker& w, int64_t grid_ms, uint64_t tick, std::atomic<uint64_t>& runs_started,
                 StartThread&& start_thread) {
  if (w.busy) return Outcome::kStillRunning;
  if (grid_ms < w.next_run_ms) return Outcome::kBackoff;
  w.busy = true;
  w.has_job = true;
  w.job_tick = tick;
  ++w.health.runs;
  runs_started.fetch_add(1);
  if (w.exited)
    start_thread(w);
  else
    w.job_cv.notify_one();
  return Outcome::kDispatched;
}

// Copies a dispatched worker's answer to this tick into `row` and its health; a worker that has
// not answered by now failed this tick. Returns whether the run succeeded, else sets `error`.
template <class Worker>
bool take_result(Worker& w, uint64_t tick, SteadyClock::time_point dispatched_at,
                 std::vector<double>& row, std::string& error) {
  if (w.done_tick != tick) {
    error = "no result within its " + format_duration(w.entry.timeout) +
            " deadline; not called again until it returns";
    row[w.duration_column] =
        std::chrono::duration<double, std::milli>(SteadyClock::now() - dispatched_at).count();
    return false;
  }
  error = w.error;
  w.health.status = w.status;
  w.health.duration_ms = w.duration_ms;
  w.health.restarts = w.restarts;
  row[w.duration_column] = w.duration_ms;
  if (w.ok) {
    for (const auto& [column, value] : w.values) row[column] = value;
  }
  return w.ok;
}

}  // namespace

void Sampler::sample_at(int64_t grid_ms) {
  std::vector<Outcome> outcome(workers_.size());
  std::vector<double> row(store_.series_count(), kNaN);  // the store may hold more
  uint32_t ok_runs = 0, scheduled = 0;
  Logs logs;  // written after the lock is released

  std::unique_lock lock(sync_->mutex);
  const uint64_t tick = ++tick_;
  const auto dispatched_at = SteadyClock::now();
  for (size_t i = 0; i < workers_.size(); ++i) {
    outcome[i] = dispatch(*workers_[i], grid_ms, tick, runs_started_,
                          [this](Worker& w) { start_thread(w); });
  }
  // Wait for each dispatched collector until it answers or its own deadline passes.
  Sync& sync = *sync_;
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (outcome[i] != Outcome::kDispatched) continue;
    Worker& w = *workers_[i];
    sync.done_cv.wait_until(lock, dispatched_at + w.entry.timeout,
                            [&w, &sync, tick] { return w.done_tick == tick || sync.stopping; });
  }
  // Stopping: a row with the slow collectors marked failed would be a lie, and shutdown must not
  // wait for their deadlines.
  if (sync.stopping) return;

  size_t in_flight = 0;
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker& w = *workers_[i];
    CollectorHealth& h = w.health;
    if (w.busy) ++in_flight;
    if (outcome[i] == Outcome::kBackoff) {
      row[w.up_column] = 0;
      continue;
    }
    if (outcome[i] == Outcome::kStillRunning) {
      // Its overrun was already counted as a failure at the tick that started it.
      row[w.up_column] = 0;
      h.up = false;
      continue;
    }
    ++scheduled;
    std::string error;
    const bool ok = take_result(w, tick, dispatched_at, row, error);
    row[w.up_column] = ok ? 1 : 0;
    h.up = ok;
    if (ok) {
      ++ok_runs;
      w.next_run_ms = detail::record_success(h, w.entry.name, options_, grid_ms, logs);
    } else {
      w.next_run_ms = detail::record_failure(h, w.entry.name, error, options_, grid_ms, logs);
    }
  }
  lock.unlock();

  derived_->apply(row, ok_runs, scheduled, in_flight);

  for (const auto& [level, line] : logs) log(level, line);
  if (recorder_) recorder_(grid_ms, row);
  store_.append(grid_ms, row);
  if (listener_) listener_(grid_ms, row);
}

void Sampler::start(int64_t first_grid_ms) {
  std::lock_guard lock(loop_mutex_);
  if (loop_.joinable()) return;
  stopping_ = false;
  first_grid_ms_ = first_grid_ms;
  {
    std::lock_guard sync_lock(sync_->mutex);
    sync_->stopping = false;
  }
  loop_ = std::thread([this] { run_loop(); });
}

void Sampler::stop() {
  {
    std::lock_guard lock(loop_mutex_);
    stopping_ = true;
  }
  {
    std::lock_guard lock(sync_->mutex);
    sync_->stopping = true;
  }
  sync_->done_cv.notify_all();
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
}

void Sampler::stop_after_tick() {
  {
    std::lock_guard lock(loop_mutex_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
}

std::vector<Sampler::Released> Sampler::release_idle(const std::vector<std::string>& names) {
  auto wanted = [&names](const Worker& w) {
    return std::find(names.begin(), names.end(), w.entry.name) != names.end();
  };
  std::vector<Released> out;
  std::unique_lock lock(sync_->mutex);
  std::vector<Worker*> ending;
  for (auto& w : workers_) {
    if (!wanted(*w) || w->busy) continue;
    w->stop = true;
    w->job_cv.notify_all();
    ending.push_back(w.get());
  }
  // An idle worker has no thread, or one waiting on its job_cv only, which leaves at once.
  sync_->done_cv.wait(lock, [&ending] {
    return std::all_of(ending.begin(), ending.end(), [](const Worker* w) { return w->exited; });
  });
  // Out of workers_ under the lock: health() may be reading it from another thread.
  std::vector<std::unique_ptr<Worker>> gone;
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (std::find(ending.begin(), ending.end(), it->get()) == ending.end()) {
      ++it;
      continue;
    }
    gone.push_back(std::move(*it));
    it = workers_.erase(it);
  }
  lock.unlock();
  for (auto& w : gone) {
    if (w->thread.joinable()) w->thread.join();
    out.push_back({std::move(w->entry), w->health});
  }
  return out;
}

void Sampler::carry_health(const CollectorHealth& health) {
  std::lock_guard lock(sync_->mutex);
  for (auto& w : workers_) {
    if (w->entry.name != health.name) continue;
    const std::string isolation = w->health.isolation;
    w->health = health;
    w->health.isolation = isolation;
    // A reload retries a failing collector at once: the operator may just have fixed it.
    w->health.effective_interval = options_.interval;
    w->health.consecutive_failures = 0;
  }
}

void Sampler::run_loop() {
  const int64_t interval_ms = options_.interval.count();
  const int64_t wall_ms = wall_now_ms();
  const auto steady_now = SteadyClock::now();
  // Anchor the grid on the next wall-clock multiple of the interval, then count ticks on the
  // steady clock: every tick is t0 + k * interval, so errors never accumulate into drift.
  const int64_t t0_ms =
      first_grid_ms_ > 0 ? first_grid_ms_ : (wall_ms / interval_ms + 1) * interval_ms;
  const auto steady_t0 = steady_now + std::chrono::milliseconds(t0_ms - wall_ms);
  int64_t k = 0;
  for (;;) {
    const auto target = steady_t0 + k * options_.interval;
    {
      std::unique_lock lock(loop_mutex_);
      if (loop_cv_.wait_until(lock, target, [this] { return stopping_; })) return;
    }
    // Clamp to now instead of replaying missed ticks: after a stall we want one fresh sample,
    // not a burst of them.
    const auto late = SteadyClock::now() - target;
    if (late >= options_.interval) {
      const int64_t behind = late / options_.interval;
      ticks_skipped_.fetch_add(static_cast<uint64_t>(behind));
      k += behind;
    }
    sample_at(t0_ms + k * interval_ms);
    ++k;
  }
}

std::vector<CollectorHealth> Sampler::health() const {
  std::lock_guard lock(sync_->mutex);
  std::vector<CollectorHealth> out;
  out.reserve(workers_.size());
  for (const auto& w : workers_) out.push_back(w->health);
  return out;
}

}  // namespace resync

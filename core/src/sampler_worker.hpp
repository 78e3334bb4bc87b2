// SPDX-License-Identifier: MIT
// The sampler's collector workers: what sampler.cpp and sampler_worker.cpp share.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "resync/sampler.hpp"

namespace resync {

struct Sampler::Sync {
  std::mutex mutex;  // guards every Worker's job/result/health state and `stopping`
  std::condition_variable done_cv;
  bool stopping = false;  // stop() called: a tick in progress stops waiting for collectors
};

struct Sampler::Worker {
  CollectorEntry entry;
  std::vector<std::string> secrets;  // a copy: an abandoned worker may outlive the sampler
  std::unordered_map<std::string, size_t> columns;  // metric -> column, for this instance
  size_t up_column = 0, duration_column = 0;
  // Under isolation: process the thread stays between jobs: the child it restarts is killed
  // when the thread that started it ends (PR_SET_PDEATHSIG).
  bool keep_thread = false;
  std::thread thread;
  std::condition_variable job_cv;  // a kept thread waits here for its next job

  // Guarded by Sync::mutex.
  bool stop = false;
  bool exited = true;  // no thread in work(): none started yet, or it left with no job
  bool has_job = false;
  bool busy = false;
  uint64_t job_tick = 0;
  uint64_t done_tick = 0;
  bool ok = false;
  std::string error;
  std::string status;
  double duration_ms = 0;
  uint64_t restarts = 0;
  std::vector<std::pair<size_t, double>> values;
  int64_t next_run_ms = 0;  // backoff: skip ticks before this grid time
  CollectorHealth health;
};

}  // namespace resync

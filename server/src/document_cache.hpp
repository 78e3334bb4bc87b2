// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "document.hpp"
#include "resync/monitor.hpp"

namespace resync::server::detail {

/// What the server renders from the monitor. The first five are cached per sample. kWindow is the
/// whole window in the state file's format (encode_state()), so a `--url` reader gets exactly what
/// a `--state` reader does.
enum class View { kCurrent, kHistory, kMetrics, kLayout, kWindow, kAlerts, kHealth };

/// The documents of a Monitor, rendered lazily: a new sample only bumps the generation, and a
/// cached view is rendered by the first request for it after that, by one thread at a time;
/// requests arriving meanwhile wait for that render and share its bytes. A server nobody asks
/// renders nothing.
///
/// Thread-safe: invalidate() from the sampler; everything else from any thread.
class DocumentCache {
 public:
  /// `monitor` must outlive the cache.
  explicit DocumentCache(const Monitor& monitor);

  /// A new sample is in the store: cached documents are stale. One atomic increment.
  void invalidate() { generation_.fetch_add(1, std::memory_order_acq_rel); }
  /// Samples announced by invalidate() so far.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  /// The newest document of kCurrent, kHistory, kMetrics, kLayout or kWindow, rendered now if
  /// stale. Throws
  /// what the view throws; the next call tries again.
  std::shared_ptr<const Document> get(View view);
  /// The cached document of kCurrent, kHistory or kMetrics when it shows the newest sample, else
  /// null; never renders, so the connection loop may call it.
  std::shared_ptr<const Document> fresh(View view);
  /// /history of the newest `rows` samples, rendered for this call only.
  std::shared_ptr<const Document> history_window(size_t rows);
  /// The body of `view` rendered now, not cached (kAlerts and kHealth).
  std::string render(View view, size_t rows = SIZE_MAX);

  /// Documents rendered so far (cached or not); tests use it to check that idling renders nothing.
  uint64_t renders() const { return renders_.load(); }

 private:
  struct Slot {
    std::mutex render_mutex;  // held while rendering: one renderer per view
    std::mutex mutex;         // guards the two fields below, never held while rendering or sending
    std::shared_ptr<const Document> document;
    uint64_t generation = 0;
  };

  const Monitor& monitor_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> renders_{0};
  std::array<Slot, 5> slots_;  // kCurrent, kHistory, kMetrics, kLayout, kWindow
};

}  // namespace resync::server::detail

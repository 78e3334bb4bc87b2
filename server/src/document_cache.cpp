// SPDX-License-Identifier: MIT
#include "document_cache.hpp"

#include <chrono>
#include <stdexcept>
#include <utility>

#include "resync/server/prometheus_text.hpp"
#include "resync/server/views.hpp"

namespace resync::server::detail {
namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* content_type(View view) { return view == View::kMetrics ? kPrometheusContentType : "application/json"; }

}  // namespace

DocumentCache::DocumentCache(const Monitor& monitor) : monitor_(monitor) {}

// The server's only calls into the views (views.hpp, prometheus_text.hpp), with content_type()
// above: what changes when the views take a snapshot and a std::ostream&.
std::string DocumentCache::render(View view, size_t rows) {
  renders_.fetch_add(1);
  switch (view) {
    case View::kCurrent:
      return render_current(monitor_, wall_ms());
    case View::kHistory:
      return render_history(monitor_, rows);
    case View::kMetrics:
      return render_prometheus(monitor_);
    case View::kAlerts:
      return render_alerts(monitor_);
    case View::kHealth:
      return render_health(monitor_);
  }
  throw std::logic_error("unknown view");
}

std::shared_ptr<const Document> DocumentCache::get(View view) {
  Slot& slot = slots_.at(static_cast<size_t>(view));
  {
    std::lock_guard lock(slot.mutex);
    if (slot.document && slot.generation == generation()) return slot.document;
  }
  std::lock_guard render_lock(slot.render_mutex);
  // Read before rendering: the store holds at least this sample, so the document is never older
  // than its tag (at worst a sample newer, and rendered once more on the next request).
  const uint64_t generation = this->generation();
  {
    std::lock_guard lock(slot.mutex);
    if (slot.document && slot.generation == generation) return slot.document;  // the render we waited for
  }
  auto document = std::make_shared<const Document>(content_type(view), render(view), generation, true);
  std::shared_ptr<const Document> old;
  {
    std::lock_guard lock(slot.mutex);
    old = std::exchange(slot.document, document);
    slot.generation = generation;
  }
  return document;  // `old` is released here, outside the lock; requests still sending it keep it
}

std::shared_ptr<const Document> DocumentCache::history_window(size_t rows) {
  const uint64_t generation = this->generation();
  return std::make_shared<const Document>(content_type(View::kHistory), render(View::kHistory, rows), generation,
                                          false);
}

}  // namespace resync::server::detail

// SPDX-License-Identifier: MIT
#include "document_cache.hpp"

#include <stdexcept>
#include <utility>

#include "resync/state_file.hpp"
#include "resync/views/json.hpp"
#include "resync/views/presentation.hpp"
#include "resync/views/prometheus_text.hpp"

namespace resync::server::detail {
namespace {

// The state file's bytes (see state_file.hpp), not a format of its own.
constexpr const char* kWindowContentType = "application/vnd.resync-mon.state";

const char* content_type(View view) {
  if (view == View::kWindow) return kWindowContentType;
  return view == View::kMetrics ? views::kPrometheusContentType : "application/json";
}

}  // namespace

DocumentCache::DocumentCache(const Monitor& monitor) : monitor_(monitor) {}

// The server's only calls into the views: a snapshot of just the rows each view needs, taken
// under the monitor's locks, then rendered outside them.
std::string DocumentCache::render(View view, size_t rows) {
  renders_.fetch_add(1);
  switch (view) {
    case View::kCurrent:
      return views::render_current(monitor_.snapshot(views::current_rows(monitor_.interval())));
    case View::kHistory:
      return views::render_history(monitor_.snapshot(rows));
    case View::kMetrics:
      return views::render_prometheus(monitor_.snapshot(1));
    case View::kLayout:
      // No rows: the model needs the descriptions and rules only. Its bytes, and so its ETag,
      // change only with the configuration.
      return views::render_layout(monitor_.snapshot(0));
    case View::kWindow:
      return encode_state(monitor_.snapshot());
    case View::kAlerts:
      return views::render_alerts(monitor_.snapshot(1));
    case View::kHealth:
      return views::render_health(monitor_.snapshot(1));
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
    if (slot.document && slot.generation == generation)
      return slot.document;  // the render we waited for
  }
  auto document =
      std::make_shared<const Document>(content_type(view), render(view), generation, true);
  std::shared_ptr<const Document> old;
  {
    std::lock_guard lock(slot.mutex);
    old = std::exchange(slot.document, document);
    slot.generation = generation;
  }
  return document;  // `old` is released here, outside the lock; requests still sending it keep it
}

std::shared_ptr<const Document> DocumentCache::fresh(View view) {
  Slot& slot = slots_.at(static_cast<size_t>(view));
  std::lock_guard lock(slot.mutex);
  if (slot.document && slot.generation == generation()) return slot.document;
  return nullptr;
}

std::shared_ptr<const Document> DocumentCache::history_window(size_t rows) {
  const uint64_t generation = this->generation();
  return std::make_shared<const Document>(content_type(View::kHistory),
                                          render(View::kHistory, rows), generation, false);
}

}  // namespace resync::server::detail

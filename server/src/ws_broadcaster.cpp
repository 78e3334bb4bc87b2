// SPDX-License-Identifier: MIT
#include "ws_broadcaster.hpp"

#include "resync/log.hpp"
#include "ws_frame.hpp"

namespace resync::server::detail {

WsBroadcaster::WsBroadcaster(Options options, Source source, RenderPool& pool)
    : options_(options), source_(std::move(source)), pool_(pool) {}

bool WsBroadcaster::try_reserve() {
  size_t n = slots_.load();
  do {
    if (n >= options_.max_clients || stopping_) return false;
  } while (!slots_.compare_exchange_weak(n, n + 1));
  return true;
}

std::shared_ptr<const WsFrame> WsBroadcaster::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

void WsBroadcaster::joined() {
  {
    std::lock_guard lock(mutex_);
    if (latest_ && latest_announcement_ == announced_.load()) return;
  }
  request();
}

void WsBroadcaster::notify() {
  announced_.fetch_add(1);
  // Without clients nothing is rendered; the next client to join asks for the frame itself.
  if (slots_.load() == 0) return;
  {
    std::lock_guard lock(mutex_);
    if (rendering_) {
      again_ = true;  // the render under way goes round once more
      return;
    }
    rendering_ = true;
  }
  // Rendered right here on the sampler's thread, which is awake anyway: /current takes tens of
  // microseconds, and a hand-off to the pool would add a thread wake-up to every push's latency.
  render_until_current();
}

// Single flight: while a render runs, further requests only ask it to go round once more, so a
// burst of clients joining costs one render, not one each.
void WsBroadcaster::request() {
  {
    std::lock_guard lock(mutex_);
    if (rendering_) {
      again_ = true;
      return;
    }
    rendering_ = true;
  }
  pool_.submit([this] { render_until_current(); });
}

void WsBroadcaster::render_until_current() {
  for (;;) {
    publish();
    std::lock_guard lock(mutex_);
    if (!again_) {
      rendering_ = false;
      return;
    }
    again_ = false;
  }
}

void WsBroadcaster::publish() {
  // Recorded before rendering, so a sample landing during the render asks for another.
  const uint64_t announcement = announced_.load();
  std::shared_ptr<const WsFrame> frame;
  try {
    Push push = source_();
    {
      std::lock_guard lock(mutex_);
      if (latest_ && latest_->generation == push.generation) {
        latest_announcement_ = announcement;  // the same document, still the newest
        return;
      }
    }
    frame = std::make_shared<const WsFrame>(
        WsFrame{push.generation, encode_ws_frame(kWsText, push.body)});
  } catch (const std::exception& e) {
    log_error(std::string("WebSocket push: ") + e.what());
    return;
  }
  {
    std::lock_guard lock(mutex_);
    latest_ = frame;
    latest_announcement_ = announcement;
  }
  if (deliver_) deliver_(frame);
}

}  // namespace resync::server::detail

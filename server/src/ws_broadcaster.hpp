// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "render_pool.hpp"

namespace resync::server::detail {

/// A rendered /current document as one WebSocket text frame, shared by every client's queue on
/// every loop (refcounted: no copy per client).
struct WsFrame {
  uint64_t generation = 0;  ///< the document's (sample count); never pushed to a client twice
  std::string bytes;        ///< the whole frame, header included
};

/// What the event loops share about WebSocket clients: the client slots, the newest frame, and
/// its rendering. The upgraded connections themselves stay on the loop that accepted them, which
/// writes frames, answers PING and CLOSE, pings silent clients and drops the ones that stay silent
/// or fall behind; this class owns no thread and no socket.
///
/// A new sample renders a frame only while there are clients: notify() renders it on the
/// sampler's thread and posts it to every loop through the Deliver callback; a client joining
/// while the newest frame is stale asks the render pool for one. One render at a time (single
/// flight), and one more if a sample or a client came meanwhile.
///
/// Thread-safe: every public method from any thread.
class WsBroadcaster {
 public:
  /// The document to push and the generation (sample count) it shows.
  struct Push {
    uint64_t generation = 0;
    std::string body;
  };
  /// Called on the sampler's or a render pool thread, never under the broadcaster's lock. May
  /// throw; the push is then skipped (logged).
  using Source = std::function<Push()>;
  /// Posts a new frame to every loop; called where the Source was.
  using Deliver = std::function<void(const std::shared_ptr<const WsFrame>&)>;

  struct Options {
    size_t max_clients = 1024;
    std::chrono::milliseconds ping_interval{20000};
    std::chrono::milliseconds idle_timeout{60000};
    size_t max_queued_frames = 8;
    int send_buffer_bytes = 65536;
    size_t max_message_bytes = 65536;  ///< larger client frames close the connection (1009)
  };

  /// `pool` is borrowed and must outlive the broadcaster's last render (stop it first).
  WsBroadcaster(Options options, Source source, RenderPool& pool);
  WsBroadcaster(const WsBroadcaster&) = delete;
  WsBroadcaster& operator=(const WsBroadcaster&) = delete;

  /// Set once, before the first client can arrive.
  void set_deliver(Deliver deliver) { deliver_ = std::move(deliver); }
  /// Refuses new clients from now on; renders already asked for still deliver (loops that stopped
  /// drop them).
  void stop() { stopping_ = true; }

  /// Reserves a client slot before the HTTP upgrade; false when max_clients are taken.
  bool try_reserve();
  /// Gives back a slot: a reservation that did not become a client, or a client that left.
  void release() { slots_.fetch_sub(1); }
  /// A client left because the server dropped it (logged by the loop, counted here).
  void count_drop() { dropped_.fetch_add(1); }

  /// The newest frame (null before the first render). A client that joins gets it at once, and
  /// a fresh one is asked for when it is stale.
  std::shared_ptr<const WsFrame> latest() const;
  /// A reservation became a client: asks for a render unless latest() shows the newest sample.
  void joined();
  /// A new document exists: with clients, renders its frame (/current, tens of microseconds) and
  /// delivers it, on the calling (sampler) thread; without clients, one atomic increment.
  void notify();

  const Options& options() const { return options_; }
  size_t clients() const { return slots_.load(); }
  uint64_t dropped() const { return dropped_.load(); }

 private:
  void request();
  void render_until_current();
  /// Renders once and delivers the frame if its document is new.
  void publish();

  const Options options_;
  const Source source_;
  RenderPool& pool_;
  Deliver deliver_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> slots_{0};  // reservations + clients
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> announced_{0};  // notify() calls

  mutable std::mutex mutex_;
  std::shared_ptr<const WsFrame> latest_;   // guarded by mutex_
  uint64_t latest_announcement_ = 0;        // announced_ when latest_'s render started
  bool rendering_ = false, again_ = false;  // guarded by mutex_
};

}  // namespace resync::server::detail

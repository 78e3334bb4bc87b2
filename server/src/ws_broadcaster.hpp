// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "transport.hpp"

namespace resync::server::detail {

/// One thread that owns every upgraded WebSocket: it pushes each new document to all clients
/// (the frame is built once and shared), answers PING and CLOSE, pings silent clients and drops
/// the ones that stay silent or fall behind. Sockets are non-blocking and polled with epoll, so
/// a client that never reads only fills its own bounded queue and is then dropped.
///
/// Documents are pulled, not pushed: notify() only says a new one exists, and the broadcaster
/// asks its Source for it when, and only when, it has clients. With no client it sleeps until
/// one arrives, so an idle server spends nothing here.
///
/// Thread-safe: every public method from any thread.
class WsBroadcaster {
 public:
  /// A document to push and the generation (sample count) it shows; the same generation is
  /// never pushed to a client twice.
  struct Push {
    uint64_t generation = 0;
    std::string body;
  };
  /// Called on the broadcaster thread, never under its locks. May throw; the push is then skipped.
  using Source = std::function<Push()>;

  struct Options {
    size_t max_clients = 1024;
    std::chrono::milliseconds ping_interval{20000};
    std::chrono::milliseconds idle_timeout{60000};
    size_t max_queued_frames = 8;
    int send_buffer_bytes = 65536;
    size_t max_message_bytes = 65536;  ///< larger client frames close the connection (1009)
  };

  WsBroadcaster(Options options, Source source);
  /// Calls stop().
  ~WsBroadcaster();
  WsBroadcaster(const WsBroadcaster&) = delete;
  WsBroadcaster& operator=(const WsBroadcaster&) = delete;

  /// Starts the broadcaster thread. Throws std::system_error if epoll or eventfd fail.
  void start();
  /// Sends CLOSE 1001 to every client (best effort, never blocking), closes them and joins.
  void stop();

  /// Reserves a client slot before the HTTP upgrade; false when max_clients are taken.
  bool try_reserve();
  /// Gives back a reservation that did not become a client.
  void release();
  /// Takes over a connection whose 101 answer was written (consuming a reservation) and sends it
  /// the latest document. `peer` ("host:port") names it in logs.
  void add(std::unique_ptr<Transport> transport, std::string peer);
  /// A new document exists: clients get it from the Source soon. Cheap (no rendering, no wake-up
  /// without clients), so the sampler thread calls it.
  void notify();

  size_t clients() const { return slots_.load(); }
  uint64_t dropped() const { return dropped_.load(); }

 private:
  struct Client;
  void run();
  void wake();
  // These return false when they dropped the client, which must not be touched then.
  bool flush(Client& c);
  bool enqueue(Client& c, std::shared_ptr<const std::string> frame);
  bool send_close(Client& c, uint16_t code, std::string_view reason);
  bool on_readable(Client& c);
  void update_events(Client& c);
  struct Incoming {
    std::unique_ptr<Transport> transport;
    std::string peer;
  };
  void accept_incoming(std::vector<Incoming> incoming);
  /// Fetches the Source's document when one was announced, then queues it for every client that
  /// lacks it.
  void push_latest();
  void sweep(std::chrono::steady_clock::time_point now);
  /// `why` = nullptr for an orderly close (not counted as a drop, not logged).
  void drop(int fd, const char* why);

  const Options options_;
  const Source source_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> slots_{0};  // reservations + clients
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> announced_{0};  // notify() calls

  std::mutex mutex_;  // guards incoming_
  std::vector<Incoming> incoming_;

  // Owned by the broadcaster thread.
  std::vector<std::unique_ptr<Client>> clients_;  // indexed by fd
  size_t client_count_ = 0;
  uint64_t fetched_announcement_ = 0;  // announced_ when the Source was last asked
  uint64_t latest_generation_ = 0;
  std::shared_ptr<const std::string>
      latest_;  // the frame of the newest document; null before the first
};

}  // namespace resync::server::detail

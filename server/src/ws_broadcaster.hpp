// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Net/WebSocket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace resync::server::detail {

/// An unmasked server-to-client WebSocket frame (FIN set) carrying `payload`.
std::string make_ws_frame(uint8_t opcode, std::string_view payload);

inline constexpr uint8_t kWsText = 0x1, kWsClose = 0x8, kWsPing = 0x9, kWsPong = 0xA;

/// One thread that owns every upgraded WebSocket: it pushes each new document to all clients
/// (the frame is built once and shared), answers PING and CLOSE, pings silent clients and drops
/// the ones that stay silent or fall behind. Sockets are non-blocking and polled with epoll, so
/// a client that never reads only fills its own bounded queue and is then dropped.
///
/// Thread-safe: every public method from any thread.
class WsBroadcaster {
 public:
  struct Options {
    size_t max_clients = 1024;
    std::chrono::milliseconds ping_interval{20000};
    std::chrono::milliseconds idle_timeout{60000};
    size_t max_queued_frames = 8;
    int send_buffer_bytes = 65536;
    size_t max_message_bytes = 65536;  ///< larger client frames close the connection (1009)
  };

  explicit WsBroadcaster(Options options);
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
  /// Takes over an upgraded socket (consuming a reservation) and sends it the latest document.
  /// Taken by unique_ptr so the caller keeps no reference (Poco sockets are reference-counted).
  void add(std::unique_ptr<Poco::Net::WebSocket> socket);
  /// Pushes `document` as a text frame to every client; also what add() sends first.
  void publish(std::string_view document);

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
  /// `why` = nullptr for an orderly close (not counted as a drop, not logged).
  void drop(int fd, const char* why);

  const Options options_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> slots_{0};  // reservations + clients
  std::atomic<uint64_t> dropped_{0};

  std::mutex mutex_;  // guards the hand-over fields below
  std::vector<std::unique_ptr<Poco::Net::WebSocket>> incoming_;
  std::shared_ptr<const std::string> latest_;
  uint64_t latest_seq_ = 0;

  // Owned by the broadcaster thread.
  std::vector<std::unique_ptr<Client>> clients_;  // indexed by fd
};

}  // namespace resync::server::detail

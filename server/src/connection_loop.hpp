// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "answer.hpp"
#include "listen_socket.hpp"
#include "loop_shared.hpp"
#include "render_pool.hpp"
#include "request_head.hpp"
#include "router.hpp"
#include "transport.hpp"
#include "ws_broadcaster.hpp"

namespace resync::server::detail {

/// One of the HTTP server's event loops (one per core, all on the same listening socket, which
/// wakes one of them per connection: EPOLLEXCLUSIVE): accepts connections, reads and parses request
/// heads with its own scanner, asks the Router for each answer and writes it with non-blocking
/// writev, all on one thread with epoll. A loop gives each connection it accepts to the loop
/// holding the fewest (LoopShared::pick), itself on a tie, and each loop owns the connections it
/// was given: the kernel hands an EPOLLEXCLUSIVE wake-up to the epoll set registered first, awake
/// or not, and left to it one loop sometimes took all 32 of a benchmark's connections while the
/// other idled (p99 15 ms instead of 4). Ready
/// documents go out from here with no thread hand-off; a request whose document must be rendered
/// first waits (holding no thread) while the RenderPool renders it, once for every request that
/// wants it. A partial write keeps its place and waits for EPOLLOUT. A wake-up that found few of
/// the loop's connections ready is followed by a 50 us pause, so that the rest arrive together
/// (kCoalescePause).
///
/// A WebSocket upgrade stays on its loop: the loop writes each pushed frame (one buffer shared by
/// every client of every loop) to its clients' queues with non-blocking writes, answers PING and
/// CLOSE, pings silent clients and drops those that stay silent or stop reading.
///
/// Refusals are answered here with JSON: 400 (malformed, or bytes that cannot start an HTTP
/// request, such as a TLS handshake: at once), 408 (request not complete by the request
/// deadline), 411, 413, 414, 429 (over the per-client cap), 431. A client that stops reading
/// its answer is dropped at the request deadline.
///
/// Over TLS (Options::make_transport) the handshake runs in the connection's first reads and
/// writes, on the loop, under the deadline and the per-client cap of any new connection; the loop
/// arms epoll for the direction the transport wants() and reads on while it has_buffered().
/// Over the cap, a TLS connection is closed without an answer.
///
/// Thread-safe: start()/stop() from the owner; connections() from any thread.
class ConnectionLoop {
 public:
  struct Options {
    HeadLimits limits;
    size_t max_body_bytes = 65536;
    /// Accept one connection per wake-up, leaving the next to another loop (several loops).
    bool accept_one_by_one = false;
    /// Whole head (and body) from its first byte; also the longest an answer may take to write.
    std::chrono::milliseconds request_timeout{10000};
    std::chrono::milliseconds keep_alive_timeout{5000};  ///< idle wait for the next request
    /// Wraps an accepted socket (which it then owns); null = plain TCP. The seam for TLS.
    std::function<std::unique_ptr<Transport>(int fd)> make_transport;
  };

  /// `listen`, `shared`, `router`, `pool` and `ws` are borrowed and must outlive the loop.
  /// Throws std::system_error when epoll or eventfd cannot be created.
  ConnectionLoop(ListenSocket& listen, LoopShared& shared, Options options, Router& router,
                 RenderPool& pool, WsBroadcaster& ws);
  ~ConnectionLoop();
  ConnectionLoop(const ConnectionLoop&) = delete;
  ConnectionLoop& operator=(const ConnectionLoop&) = delete;

  void start();
  /// Stops accepting, closes every connection the loop holds (WebSocket clients get CLOSE 1001),
  /// joins its thread. Idempotent.
  void stop();
  /// A new WebSocket frame for this loop's clients (from the render pool). Frames wait in order
  /// until the loop takes them (at most a client's queue bound: more would only drop clients).
  void post(std::shared_ptr<const WsFrame> frame);
  /// A connection another loop accepted for this one (counted in assigned() already). Closed,
  /// and its client released, if this loop has stopped.
  void adopt(Accepted accepted);
  /// Connections held or on their way here: what LoopShared::pick balances.
  size_t assigned() const { return assigned_.load(std::memory_order_relaxed); }

 private:
  friend class LoopShared;
  using Clock = std::chrono::steady_clock;
  enum class Phase { kIdle, kReading, kRendering, kWriting, kClosing, kWebSocket };
  /// An upgraded connection's state (connection_ws.cpp).
  struct WsState {
    std::deque<std::shared_ptr<const std::string>> queue;  // frames to write, shared
    size_t offset = 0;                                     // of queue.front() already written
    std::string input;                                     // client frames, not yet complete
    std::optional<uint64_t> generation;                    // of the last document queued
    Clock::time_point last_heard, last_ping;
    bool closing = false;  // a CLOSE is queued: close once it is written
  };
  struct Conn {
    std::unique_ptr<Transport> transport;
    std::string client, peer;
    uint64_t serial = 0;
    Phase phase = Phase::kIdle;
    Clock::time_point deadline;
    uint32_t events = 0;
    bool peer_done = false;  // the client closed its side: answer what is complete, then close
    std::string in;          // received, not yet answered
    size_t scanned = 0;      // bytes of `in` searched for the end of the head
    Request request;         // views into `in` until its answer is written
    size_t consumed = 0;     // bytes of `in` the request takes (head and body)
    Answer answer;
    std::string out_head;
    size_t written = 0;  // of out_head + the answer's tail
    bool keep_alive = false;
    std::unique_ptr<WsState> ws;  // set once upgraded (Phase::kWebSocket)
  };
  struct Completion {
    std::string key;
    std::shared_ptr<const Document> document;
  };
  struct Waiter {
    int fd;
    uint64_t serial;
  };

  void run();
  void accept_all();
  void add(Accepted accepted);
  bool queues_empty() const;  // completions_mutex_ held
  void wake();
  void on_event(int fd, uint32_t events);
  void read_input(Conn& c);
  void evaluate(Conn& c);
  bool next_request(Conn& c);
  bool check_body(Conn& c, const RequestHead& head, uint64_t& length);
  void answer(Conn& c);
  bool flush(Conn& c);
  void after_answer(Conn& c);
  void defer(Conn& c, Render render);
  void take_completions();
  void refuse(Conn& c, int status, const std::string& message);
  void want(Conn& c, uint32_t events);
  void close(int fd);
  void release(const std::string& client);
  void watch_listen();
  void sweep(Clock::time_point now);
  void resume_accepting(Clock::time_point now);
  Conn* find(int fd);
  // WebSocket clients (connection_ws.cpp). Those returning bool return false when they closed
  // the connection, which must not be touched then.
  void ws_upgrade(Conn& c);
  void ws_event(Conn& c, uint32_t events);
  bool ws_read(Conn& c);
  bool ws_parse(Conn& c);
  bool ws_flush(Conn& c);
  bool ws_enqueue(Conn& c, std::shared_ptr<const std::string> frame);
  bool ws_send_close(Conn& c, uint16_t code, std::string_view reason);
  void ws_push(const std::shared_ptr<const WsFrame>& frame);
  void ws_sweep(Conn& c, Clock::time_point now);
  void ws_drop(Conn& c, const char* why);
  void ws_goodbye(Conn& c);

  ListenSocket& listen_;
  LoopShared& shared_;
  const Options options_;
  Router& router_;
  RenderPool& pool_;
  WsBroadcaster& ws_;
  const int epoll_fd_, wake_fd_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;  // guarded by completions_mutex_

  // Loop thread only.
  std::vector<std::unique_ptr<Conn>> conns_;                        // indexed by fd
  size_t held_ = 0;                                                 // connections in conns_
  size_t ws_clients_ = 0;                                           // of them, WebSockets
  std::unordered_map<std::string, std::vector<Waiter>> rendering_;  // by Render::key
  uint64_t next_serial_ = 0;
  bool accepting_ = true;
  Clock::time_point resume_accept_at_{};

  std::mutex completions_mutex_;
  std::vector<Completion> completions_;                 // renders done, posted by the pool
  std::vector<std::shared_ptr<const WsFrame>> posted_;  // frames not yet pushed, oldest first
  std::vector<Accepted> adopted_;                       // handed over by another loop
  std::atomic<size_t> assigned_{0};
};

}  // namespace resync::server::detail

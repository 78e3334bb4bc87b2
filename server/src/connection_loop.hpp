// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "answer.hpp"
#include "listen_socket.hpp"
#include "render_pool.hpp"
#include "request_head.hpp"
#include "router.hpp"
#include "transport.hpp"

namespace resync::server::detail {

/// The HTTP server's event loop: accepts connections, reads and parses request heads with its
/// own scanner, asks the Router for each answer and writes it with non-blocking writev, all on one
/// thread with epoll. Ready documents go out from here with no thread hand-off; a request whose
/// document must be rendered first waits (holding no thread) while the RenderPool renders it,
/// once for every request that wants it. A partial write keeps its place and waits for EPOLLOUT.
///
/// Refusals are answered here with JSON: 400 (malformed, or bytes that cannot start an HTTP
/// request, such as a TLS handshake: at once), 408 (request not complete by the request
/// deadline), 411, 413, 414, 429 (over the per-client cap), 431. A client that stops reading
/// its answer is dropped at the request deadline.
///
/// Thread-safe: start()/stop() from the owner; connections() from any thread.
class ConnectionLoop {
 public:
  struct Options {
    HeadLimits limits;
    size_t max_body_bytes = 65536;
    size_t max_per_client = 0;  ///< open connections per client address; 0 = no cap
    /// Whole head (and body) from its first byte; also the longest an answer may take to write.
    std::chrono::milliseconds request_timeout{10000};
    std::chrono::milliseconds keep_alive_timeout{5000};  ///< idle wait for the next request
    /// Wraps an accepted socket (which it then owns); null = plain TCP. The seam for TLS.
    std::function<std::unique_ptr<Transport>(int fd)> make_transport;
  };

  /// `listen`, `router` and `pool` are borrowed and must outlive the loop. Throws
  /// std::system_error when epoll or eventfd cannot be created.
  ConnectionLoop(ListenSocket& listen, Options options, Router& router, RenderPool& pool);
  ~ConnectionLoop();
  ConnectionLoop(const ConnectionLoop&) = delete;
  ConnectionLoop& operator=(const ConnectionLoop&) = delete;

  void start();
  /// Stops accepting, closes every connection the loop holds, joins its thread. Idempotent.
  void stop();

  /// HTTP connections open now (not WebSockets).
  size_t connections() const { return open_.load(); }

 private:
  using Clock = std::chrono::steady_clock;
  enum class Phase { kIdle, kReading, kRendering, kWriting, kClosing };
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
  void on_event(int fd);
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
  void sweep(Clock::time_point now);
  void resume_accepting(Clock::time_point now);
  Conn* find(int fd);

  ListenSocket& listen_;
  const Options options_;
  Router& router_;
  RenderPool& pool_;
  const int epoll_fd_, wake_fd_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> open_{0};
  bool stopped_ = false;  // guarded by completions_mutex_

  // Loop thread only.
  std::vector<std::unique_ptr<Conn>> conns_;  // indexed by fd
  std::unordered_map<std::string, size_t> per_client_;
  std::unordered_map<std::string, std::vector<Waiter>> rendering_;  // by Render::key
  uint64_t next_serial_ = 0;
  bool accepting_ = true;
  bool accept_failing_ = false;  // out of descriptors; logged once per episode, until the
                                 // backlog is empty again
  Clock::time_point accept_failing_since_{};
  Clock::time_point resume_accept_at_{};

  std::mutex completions_mutex_;
  std::vector<Completion> completions_;  // renders done, posted by the pool
};

}  // namespace resync::server::detail

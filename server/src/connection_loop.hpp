// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/AutoPtr.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "host_policy.hpp"
#include "listen_socket.hpp"
#include "request_head.hpp"

namespace resync::server::detail {

/// An accepted connection, passed between the loop (while it waits for a request) and a worker
/// (while one request is answered).
struct Connection {
  Poco::AutoPtr<AcceptedSocketImpl> socket;
  std::string client;  ///< peer address, the key of the per-client count
};

/// What a worker did with a connection it gives back.
enum class AfterRequest { kKeepAlive, kClose, kDetached };

/// Accepts connections and reads request heads on one thread with epoll, so an idle or dripping
/// connection costs a file descriptor and a buffer, never a worker thread. A request is handed to
/// `dispatch` only once its head (and a Content-Length body) is complete; refusals are answered
/// here with JSON: 400 (malformed), 408 (head not complete by the request deadline), 413, 429 (over
/// the per-client cap), 431 (head too large). GET /health without an Origin header is answered
/// here as well, so liveness holds while every worker is busy.
///
/// Thread-safe: start()/stop() from the owner; give_back() from any thread.
class ConnectionLoop {
 public:
  struct Options {
    HeadLimits limits;
    size_t max_body_bytes = 65536;
    size_t max_per_client = 0;  ///< open connections per client address; 0 = no cap
    std::chrono::milliseconds request_timeout{10000};    ///< whole head (and body), from first byte
    std::chrono::milliseconds keep_alive_timeout{5000};  ///< idle wait for the next request
  };
  using Dispatch = std::function<void(std::unique_ptr<Connection>)>;

  /// `listen` and `hosts` are borrowed and must outlive the loop. Throws std::system_error when
  /// epoll or eventfd cannot be created.
  ConnectionLoop(ListenSocket& listen, Options options, const HostPolicy& hosts, Dispatch dispatch);
  ~ConnectionLoop();
  ConnectionLoop(const ConnectionLoop&) = delete;
  ConnectionLoop& operator=(const ConnectionLoop&) = delete;

  void start();
  /// Stops accepting, closes every connection the loop holds, joins its thread. Connections
  /// given back later are closed. Idempotent.
  void stop();
  /// A worker is done with one request on `c`.
  void give_back(std::unique_ptr<Connection> c, AfterRequest after);

  /// Connections open now (waiting here or with a worker).
  size_t connections() const { return open_.load(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Waiting {
    std::unique_ptr<Connection> connection;
    Clock::time_point deadline;
    bool idle = true;      // no byte of the next request yet
    bool closing = false;  // refused; draining input until the peer closes or the deadline
    size_t scanned = 0;    // bytes searched for the end of the head
  };

  void run();
  void accept_all();
  void watch(std::unique_ptr<Connection> c, Clock::duration timeout);
  void on_readable(int fd);
  void evaluate(int fd, Waiting& w);
  void refuse(Waiting& w, int status, const std::string& message);
  void close(int fd);
  void forget(const Connection& c);
  void take_returned();
  void sweep(Clock::time_point now);

  ListenSocket& listen_;
  const Options options_;
  const HostPolicy& hosts_;
  const Dispatch dispatch_;
  const int epoll_fd_, wake_fd_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> open_{0};
  bool accepting_ = true;
  bool accept_failing_ = false;  // out of descriptors; logged once per episode, until the
                                 // backlog is empty again
  Clock::time_point accept_failing_since_{};
  Clock::time_point resume_accept_at_{};

  // Loop thread only.
  std::unordered_map<int, Waiting> waiting_;
  std::unordered_map<std::string, size_t> per_client_;

  std::mutex returned_mutex_;
  std::vector<std::pair<std::unique_ptr<Connection>, AfterRequest>> returned_;
  bool stopped_ = false;  // guarded by returned_mutex_
};

}  // namespace resync::server::detail

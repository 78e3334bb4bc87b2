// SPDX-License-Identifier: MIT
#include "connection_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <system_error>

#include "http_text.hpp"
#include "raw_response.hpp"
#include "resync/log.hpp"

namespace resync::server::detail {
namespace {

using namespace std::chrono_literals;

// How often deadlines are checked: their precision, and an idle server's only wake-up while it
// holds connections.
constexpr auto kSweepInterval = 50ms;
// After an answer that closes the connection, unread input is drained this long so that closing
// does not reset the connection before the client has read the answer.
constexpr auto kLingerTime = 1s;
// accept() out of file descriptors: wait this long instead of spinning on a ready listen socket.
constexpr auto kAcceptPause = 100ms;
constexpr size_t kReadChunk = 16384;

// Small answers on a fresh socket buffer: one non-blocking send either takes them whole or the
// client is not reading, and is closed.
bool send_all(int fd, const std::string& bytes) {
  const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  return n == static_cast<ssize_t>(bytes.size());
}

// The end of a request head, searched from `from`: "\n\r\n" or "\n\n".
bool head_ends(const std::string& b, size_t from) {
  for (size_t i = from; i < b.size(); ++i) {
    if (b[i] != '\n') continue;
    if (i + 1 < b.size() && b[i + 1] == '\n') return true;
    if (i + 2 < b.size() && b[i + 1] == '\r' && b[i + 2] == '\n') return true;
  }
  return false;
}

// "2.4 s": one decimal, without the locale that printf would consult.
std::string seconds_text(std::chrono::steady_clock::duration d) {
  const auto tenths = std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

}  // namespace

ConnectionLoop::ConnectionLoop(ListenSocket& listen, Options options, const HostPolicy& hosts,
                               Dispatch dispatch)
    : listen_(listen),
      options_(options),
      hosts_(hosts),
      dispatch_(std::move(dispatch)),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    const int e = errno;
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    throw std::system_error(e, std::generic_category(), "connection loop");
  }
}

ConnectionLoop::~ConnectionLoop() {
  stop();
  ::close(epoll_fd_);
  ::close(wake_fd_);
}

void ConnectionLoop::start() {
  epoll_event listen_event{EPOLLIN, {}};
  listen_event.data.fd = listen_.impl()->sockfd();
  epoll_event wake_event{EPOLLIN, {}};
  wake_event.data.fd = wake_fd_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_event.data.fd, &listen_event) != 0 ||
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake_event) != 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  }
  thread_ = std::thread([this] { run(); });
}

void ConnectionLoop::stop() {
  {
    std::lock_guard lock(returned_mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_ = true;
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  waiting_.clear();
  std::lock_guard lock(returned_mutex_);
  returned_.clear();
}

void ConnectionLoop::give_back(std::unique_ptr<Connection> c, AfterRequest after) {
  std::lock_guard lock(returned_mutex_);
  if (stopped_) {
    --open_;
    return;  // closed by the destructor of `c`
  }
  returned_.emplace_back(std::move(c), after);
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void ConnectionLoop::run() {
  epoll_event events[256];
  auto last_sweep = Clock::now();
  while (!stopping_) {
    const int timeout =
        waiting_.empty() && accepting_ ? -1 : static_cast<int>(kSweepInterval.count());
    const int n = epoll_wait(epoll_fd_, events, 256, timeout);
    if (n < 0 && errno != EINTR) {
      log_error(std::string("HTTP connection loop: epoll_wait: ") + std::strerror(errno));
      break;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_.impl()->sockfd()) {
        accept_all();
      } else if (fd == wake_fd_) {
        uint64_t count = 0;
        [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &count, sizeof count);
        take_returned();
      } else {
        on_readable(fd);
      }
    }
    const auto now = Clock::now();
    if (now - last_sweep >= kSweepInterval) {
      sweep(now);
      last_sweep = now;
    }
  }
}

void ConnectionLoop::accept_all() {
  for (;;) {
    Poco::AutoPtr<AcceptedSocketImpl> socket;
    try {
      socket = listen_.accept_one();
    } catch (const std::system_error& e) {
      // EMFILE and friends: the connection stays in the backlog; pausing keeps a ready listen
      // socket from spinning this thread until descriptors are free again.
      if (!accept_failing_) {
        log_warning(std::string("HTTP: ") + e.what() + "; retrying every 100 ms");
        accept_failing_ = true;
        accept_failing_since_ = Clock::now();
      }
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_.impl()->sockfd(), nullptr);
      accepting_ = false;
      resume_accept_at_ = Clock::now() + kAcceptPause;
      return;
    }
    if (!socket) {
      // The episode ends only when the backlog is empty: one accept that a descriptor freed for a
      // moment let through, followed by EMFILE again, would otherwise log a warning per retry.
      if (accept_failing_) {
        accept_failing_ = false;
        log_info("HTTP: accepting connections again (accept failed for " +
                 seconds_text(Clock::now() - accept_failing_since_) + ")");
      }
      return;
    }
    auto c = std::make_unique<Connection>();
    c->client = socket->peerAddress().host().toString();
    c->socket = socket;
    size_t& count = per_client_[c->client];
    if (options_.max_per_client != 0 && count >= options_.max_per_client) {
      // Cheap: no read, no registration; the answer fits the fresh socket's buffer.
      send_all(static_cast<int>(socket->sockfd()),
               error_response(429,
                              "too many connections from this address (limit " +
                                  std::to_string(options_.max_per_client) + ")",
                              false));
      continue;
    }
    ++open_;
    ++count;
    watch(std::move(c), options_.request_timeout);
  }
}

void ConnectionLoop::watch(std::unique_ptr<Connection> c, Clock::duration timeout) {
  const int fd = static_cast<int>(c->socket->sockfd());
  epoll_event event{EPOLLIN | EPOLLRDHUP, {}};
  event.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    forget(*c);
    return;
  }
  Waiting& w = waiting_[fd];
  w.connection = std::move(c);
  w.deadline = Clock::now() + timeout;
  // Bytes a worker read ahead (pipelining) may already hold the next request.
  if (!w.connection->socket->pending().empty()) evaluate(fd, w);
}

void ConnectionLoop::on_readable(int fd) {
  const auto it = waiting_.find(fd);
  if (it == waiting_.end()) return;
  Waiting& w = it->second;
  std::string& buffer = w.connection->socket->pending();
  const size_t cap = options_.limits.max_head_bytes + options_.max_body_bytes + kReadChunk;
  char chunk[kReadChunk];
  bool peer_done = false;
  for (;;) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n > 0) {
      if (!w.closing) buffer.append(chunk, static_cast<size_t>(n));
      if (buffer.size() < cap) continue;
      break;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    peer_done = true;  // closed, half-closed or reset
    break;
  }
  // A client may send its request and shut down its side at once (nc, some scripts): a complete
  // request is still answered; only then, or with nothing to answer, is the connection closed.
  if (!w.closing && !buffer.empty()) evaluate(fd, w);  // may hand the connection on
  if (peer_done) close(fd);                            // no-op when it was handed on
}

void ConnectionLoop::evaluate(int fd, Waiting& w) {
  std::string& buffer = w.connection->socket->pending();
  while (!buffer.empty()) {
    if (w.idle) {
      w.idle = false;
      w.deadline = Clock::now() + options_.request_timeout;
    }
    // Cheap test first: a client dripping a header byte by byte costs a scan of the new bytes.
    const size_t from = w.scanned > 2 ? w.scanned - 2 : 0;
    w.scanned = buffer.size();
    if (!head_ends(buffer, from)) {
      if (buffer.size() > options_.limits.max_head_bytes) {
        return refuse(w, 431,
                      "request header fields larger than " +
                          std::to_string(options_.limits.max_head_bytes) + " bytes");
      }
      return;
    }
    RequestHead head;
    std::string why;
    const HeadStatus status = parse_request_head(buffer, options_.limits, head, &why);
    if (status == HeadStatus::kIncomplete) return;
    if (status == HeadStatus::kMalformed) return refuse(w, 400, why);
    if (status == HeadStatus::kTooLarge) return refuse(w, 431, why);
    if (status == HeadStatus::kTargetTooLong) return refuse(w, 414, why);

    const std::string_view length_text = head.get("Content-Length");
    uint64_t length = 0;
    if (!length_text.empty() &&
        std::from_chars(length_text.data(), length_text.data() + length_text.size(), length).ptr !=
            length_text.data() + length_text.size()) {
      return refuse(w, 400, "malformed Content-Length");
    }
    // A chunked body could be dripped to a worker chunk by chunk; every endpoint is GET, so a
    // body must announce its length (RFC 9110 allows 411 for exactly this).
    if (!head.get("Transfer-Encoding").empty()) {
      return refuse(w, 411, "Transfer-Encoding is not accepted; send Content-Length");
    }
    if (length > options_.max_body_bytes) {
      return refuse(
          w, 413, "request body larger than " + std::to_string(options_.max_body_bytes) + " bytes");
    }
    // A worker never waits for a body it could be dripped: the loop holds the request until the
    // whole Content-Length is here.
    if (buffer.size() < head.length + length) return;

    const bool get = head.method == "GET" || head.method == "HEAD";
    const bool inline_health = get && head.target == "/health" && length == 0 &&
                               head.get("Origin").empty() && hosts_.allowed(head.get("Host"));
    if (!inline_health) {
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
      std::unique_ptr<Connection> c = std::move(w.connection);
      waiting_.erase(fd);
      return dispatch_(std::move(c));
    }
    const bool keep_alive = head.keep_alive();
    if (!send_all(fd,
                  json_response(200, R"({"status":"ok"})", keep_alive, head.method == "HEAD")) ||
        !keep_alive) {
      return close(fd);
    }
    buffer.erase(0, head.length);
    w.idle = true;
    w.scanned = 0;
    w.deadline = Clock::now() + options_.keep_alive_timeout;
  }
}

void ConnectionLoop::refuse(Waiting& w, int status, const std::string& message) {
  const int fd = static_cast<int>(w.connection->socket->sockfd());
  send_all(fd, error_response(status, message, false));
  ::shutdown(fd, SHUT_WR);
  w.closing = true;
  w.connection->socket->pending().clear();
  w.deadline = Clock::now() + kLingerTime;
}

void ConnectionLoop::close(int fd) {
  const auto it = waiting_.find(fd);
  if (it == waiting_.end()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  forget(*it->second.connection);
  waiting_.erase(it);  // the socket closes with the last reference
}

void ConnectionLoop::forget(const Connection& c) {
  --open_;
  const auto it = per_client_.find(c.client);
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

void ConnectionLoop::take_returned() {
  std::vector<std::pair<std::unique_ptr<Connection>, AfterRequest>> returned;
  {
    std::lock_guard lock(returned_mutex_);
    returned.swap(returned_);
  }
  for (auto& [c, after] : returned) {
    if (after == AfterRequest::kKeepAlive) {
      watch(std::move(c), options_.keep_alive_timeout);
    } else {
      forget(*c);  // closed with `c`, or the WebSocket broadcaster owns the socket now
    }
  }
}

void ConnectionLoop::sweep(Clock::time_point now) {
  if (!accepting_ && now >= resume_accept_at_) {
    epoll_event event{EPOLLIN, {}};
    event.data.fd = listen_.impl()->sockfd();
    accepting_ = epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event.data.fd, &event) == 0;
    if (accepting_) accept_all();
  }
  std::vector<int> expired;
  for (auto& [fd, w] : waiting_) {
    if (now < w.deadline) continue;
    // A partial request gets its 408; an idle connection is closed without a word, as nginx
    // does, since there is no request to answer.
    if (!w.closing && !w.idle) {
      refuse(w, 408,
             "request not complete within " + std::to_string(options_.request_timeout.count()) +
                 " ms");
      continue;
    }
    expired.push_back(fd);
  }
  for (const int fd : expired) close(fd);
}

}  // namespace resync::server::detail

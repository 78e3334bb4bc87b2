// SPDX-License-Identifier: MIT
// The loop's lifecycle: epoll, accepting, deadlines, and renders posted back by the pool. Reading,
// parsing and writing one connection are in connection_io.cpp.
#include "connection_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "raw_response.hpp"
#include "resync/log.hpp"

namespace resync::server::detail {
namespace {

using namespace std::chrono_literals;

// How often deadlines are checked: their precision, and an idle server's only wake-up while it
// holds connections.
constexpr auto kSweepInterval = 50ms;
// accept() out of file descriptors: wait this long instead of spinning on a ready listen socket.
constexpr auto kAcceptPause = 100ms;
// A wake-up that found fewer than half of the loop's HTTP connections with something to read is
// followed by this pause before the next epoll_wait, so that the others' requests arrive together
// and are answered in one pass (as a network card coalesces interrupts). Woken for every request
// instead, the loop preempted the clients sharing its cores, or queued behind them, each time:
// wrk -t2 -c32 on 2 cores, median of 5 runs, p99 3.95 -> 0.53 ms at 145k -> 139k req/s; at -c8,
// p99 2.1 -> 0.24 ms at 102k -> 76k req/s; with 1 ms between each connection's requests, p50
// 146 -> 176 us. One or two connections per loop never pause; a request that arrives during a
// pause waits at most that long (plus the kernel's timer slack, 50 us).
constexpr auto kCoalescePause = 50us;

// "2.4 s": one decimal, without the locale that printf would consult.
std::string seconds_text(std::chrono::steady_clock::duration d) {
  const auto tenths = std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

}  // namespace

ConnectionLoop::ConnectionLoop(ListenSocket& listen, LoopShared& shared, Options options,
                               Router& router, RenderPool& pool, WsBroadcaster& ws)
    : listen_(listen),
      shared_(shared),
      options_(std::move(options)),
      router_(router),
      pool_(pool),
      ws_(ws),
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
  epoll_event wake_event{EPOLLIN, {}};
  wake_event.data.fd = wake_fd_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake_event) != 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  }
  watch_listen();
  if (!accepting_) throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  thread_ = std::thread([this] { run(); });
}

// EPOLLEXCLUSIVE: a new connection wakes one of the loops waiting, not all of them.
void ConnectionLoop::watch_listen() {
  epoll_event event{EPOLLIN | EPOLLEXCLUSIVE, {}};
  event.data.fd = listen_.impl()->sockfd();
  accepting_ = epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event.data.fd, &event) == 0;
}

void ConnectionLoop::stop() {
  {
    std::lock_guard lock(completions_mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
  for (size_t fd = 0; fd < conns_.size(); ++fd) {
    if (!conns_[fd]) continue;
    if (conns_[fd]->ws) ws_goodbye(*conns_[fd]);
    close(static_cast<int>(fd));
  }
  std::lock_guard lock(completions_mutex_);
  completions_.clear();
  posted_.clear();
  for (const Accepted& a : adopted_) {
    ::close(a.fd);
    shared_.release(a.host);
    --assigned_;
  }
  adopted_.clear();
}

void ConnectionLoop::post(std::shared_ptr<const WsFrame> frame) {
  std::lock_guard lock(completions_mutex_);
  if (stopped_) return;
  const bool was_empty = queues_empty();
  if (posted_.size() >= ws_.options().max_queued_frames) posted_.erase(posted_.begin());
  posted_.push_back(std::move(frame));
  if (was_empty) wake();
}

// One wake-up per batch: the loop takes everything queued when it wakes.
bool ConnectionLoop::queues_empty() const {
  return posted_.empty() && completions_.empty() && adopted_.empty();
}

void ConnectionLoop::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void ConnectionLoop::run() {
  epoll_event events[256];
  auto last_sweep = Clock::now();
  // Holding only WebSocket clients (an open dashboard), the loop wakes as often as their pings
  // and idle timeout need (once a second by default), not every 50 ms.
  const WsBroadcaster::Options& ws = ws_.options();
  const auto ws_sweep = std::clamp<Clock::duration>(std::min(ws.ping_interval, ws.idle_timeout) / 4,
                                                    10ms, kSweepInterval * 20);
  while (!stopping_) {
    const bool quiet = held_ == 0 && accepting_;
    const auto sweep_every = held_ == ws_clients_ && accepting_ ? ws_sweep : kSweepInterval;
    const int timeout =
        quiet ? -1
              : int(std::chrono::duration_cast<std::chrono::milliseconds>(sweep_every).count());
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
        take_completions();
      } else {
        on_event(fd, events[i].events);
      }
    }
    if (n > 0 && 2 * static_cast<size_t>(n) < held_ - ws_clients_ && !stopping_) {
      std::this_thread::sleep_for(kCoalescePause);
    }
    const auto now = Clock::now();
    if (now - last_sweep >= std::min<Clock::duration>(sweep_every, kSweepInterval)) {
      sweep(now);
      last_sweep = now;
    }
  }
}

void ConnectionLoop::accept_all() {
  for (;;) {
    std::optional<Accepted> a;
    try {
      a = listen_.accept_one();
    } catch (const std::system_error& e) {
      // EMFILE and friends: the connection stays in the backlog; pausing keeps a ready listen
      // socket from spinning this thread until descriptors are free again.
      if (shared_.accept_failed()) {
        log_warning(std::string("HTTP: ") + e.what() + "; retrying every 100 ms");
      }
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_.impl()->sockfd(), nullptr);
      accepting_ = false;
      resume_accept_at_ = Clock::now() + kAcceptPause;
      return;
    }
    if (!a) {
      // The episode ends only when the backlog is empty: one accept that a descriptor freed for a
      // moment let through, followed by EMFILE again, would otherwise log a warning per retry.
      if (const auto failed_for = shared_.backlog_empty()) {
        log_info("HTTP: accepting connections again (accept failed for " +
                 seconds_text(*failed_for) + ")");
      }
      return;
    }
    if (!shared_.admit(a->host)) {
      // Cheap: no read, no registration; the answer fits the fresh socket's buffer. A TLS port
      // just closes: plain bytes would only reach the client as a garbled handshake, and a
      // handshake per refusal is what the cap is there to spare.
      if (options_.make_transport) {
        ::close(a->fd);
        continue;
      }
      const std::string refusal = error_response(429,
                                                 "too many connections from this address (limit " +
                                                     std::to_string(shared_.max_per_client()) + ")",
                                                 false);
      [[maybe_unused]] const ssize_t n =
          ::send(a->fd, refusal.data(), refusal.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      ::close(a->fd);
      continue;
    }
    ConnectionLoop& to = shared_.pick(*this);
    if (&to == this) {
      add(std::move(*a));
    } else {
      to.adopt(std::move(*a));
    }
    // While descriptors run short, a loop accepts until the backlog is empty, which is how the
    // episode is seen to end.
    if (options_.accept_one_by_one && !shared_.accept_failing()) return;
  }
}

// Registers a connection this loop accepted or adopted (counted in assigned_ already).
void ConnectionLoop::add(Accepted a) {
  auto c = std::make_unique<Conn>();
  c->transport = options_.make_transport ? options_.make_transport(a.fd)
                                         : std::make_unique<PlainTransport>(a.fd);
  c->client = std::move(a.host);
  c->peer = std::move(a.peer);
  c->serial = ++next_serial_;
  c->events = EPOLLIN | EPOLLRDHUP;
  c->deadline = Clock::now() + options_.request_timeout;
  epoll_event event{c->events, {}};
  event.data.fd = a.fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, a.fd, &event) != 0) {
    shared_.release(c->client);
    --assigned_;
    return;  // closed with `c`
  }
  ++held_;
  if (conns_.size() <= static_cast<size_t>(a.fd)) conns_.resize(static_cast<size_t>(a.fd) + 1);
  conns_[static_cast<size_t>(a.fd)] = std::move(c);
}

void ConnectionLoop::adopt(Accepted a) {
  std::lock_guard lock(completions_mutex_);
  if (stopped_) {
    ::close(a.fd);
    shared_.release(a.host);
    --assigned_;
    return;
  }
  const bool was_empty = queues_empty();
  adopted_.push_back(std::move(a));
  if (was_empty) wake();
}

ConnectionLoop::Conn* ConnectionLoop::find(int fd) {
  return fd >= 0 && static_cast<size_t>(fd) < conns_.size() ? conns_[static_cast<size_t>(fd)].get()
                                                            : nullptr;
}

void ConnectionLoop::want(Conn& c, uint32_t events) {
  if (c.events == events) return;
  epoll_event event{events, {}};
  event.data.fd = c.transport->fd();
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, event.data.fd, &event);
  c.events = events;
}

void ConnectionLoop::close(int fd) {
  Conn* c = find(fd);
  if (!c) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  if (c->ws) {
    // Its client address was released at the upgrade; the WebSocket slot goes now.
    --held_;
    --ws_clients_;
    ws_.release();
  } else {
    if (c->answer.upgrade) ws_.release();  // the 101 never got out
    release(c->client);
  }
  conns_[static_cast<size_t>(fd)].reset();  // closes the socket
  --assigned_;
}

void ConnectionLoop::release(const std::string& client) {
  --held_;
  shared_.release(client);
}

// Renders the pool finished: every request waiting for one is answered with its document.
void ConnectionLoop::take_completions() {
  std::vector<Completion> done;
  std::vector<std::shared_ptr<const WsFrame>> frames;
  std::vector<Accepted> adopted;
  {
    std::lock_guard lock(completions_mutex_);
    done.swap(completions_);
    frames.swap(posted_);
    adopted.swap(adopted_);
  }
  for (Accepted& a : adopted) add(std::move(a));
  for (const auto& frame : frames) ws_push(frame);
  for (Completion& completion : done) {
    const auto it = rendering_.find(completion.key);
    if (it == rendering_.end()) continue;
    const std::vector<Waiter> waiters = std::move(it->second);
    rendering_.erase(it);
    for (const Waiter& w : waiters) {
      Conn* c = find(w.fd);
      if (!c || c->serial != w.serial || c->phase != Phase::kRendering) continue;
      if (std::optional<Render> next = router_.finish(c->request, completion.document, c->answer)) {
        defer(*c, std::move(*next));  // a password check passed; now its document
        continue;
      }
      answer(*c);
      if (find(w.fd) == c && c->phase == Phase::kIdle) evaluate(*c);
    }
  }
}

void ConnectionLoop::sweep(Clock::time_point now) {
  resume_accepting(now);
  for (size_t i = 0; i < conns_.size(); ++i) {
    Conn* c = conns_[i].get();
    if (c && c->ws) {
      ws_sweep(*c, now);
      continue;
    }
    if (!c || now < c->deadline) continue;
    // A partial request gets its 408; anything else past its deadline (an idle connection, a
    // client not reading its answer, a refusal lingering) is closed without a word, as nginx does.
    if (c->phase == Phase::kReading) {
      refuse(*c, 408,
             "request not complete within " + std::to_string(options_.request_timeout.count()) +
                 " ms");
    } else {
      close(static_cast<int>(i));
    }
  }
}

void ConnectionLoop::resume_accepting(Clock::time_point now) {
  if (accepting_ || now < resume_accept_at_) return;
  watch_listen();
  if (accepting_) accept_all();
}

}  // namespace resync::server::detail

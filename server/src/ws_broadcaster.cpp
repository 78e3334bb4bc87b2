// SPDX-License-Identifier: MIT
#include "ws_broadcaster.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <system_error>

#include "resync/log.hpp"

namespace resync::server::detail {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint16_t kCloseGoingAway = 1001, kCloseProtocolError = 1002, kCloseTooBig = 1009;

std::string close_payload(uint16_t code, std::string_view reason) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p.append(reason.substr(0, 123));
  return p;
}

}  // namespace

std::string make_ws_frame(uint8_t opcode, std::string_view payload) {
  const uint64_t n = payload.size();
  std::string out;
  out.reserve(payload.size() + 10);
  out.push_back(static_cast<char>(0x80 | opcode));
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(126);
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(127);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  out.append(payload);
  return out;
}

struct WsBroadcaster::Client {
  explicit Client(std::unique_ptr<Poco::Net::WebSocket> s)
      : socket(std::move(s)), fd(static_cast<int>(socket->impl()->sockfd())) {}

  std::unique_ptr<Poco::Net::WebSocket> socket;  // owns the descriptor; all I/O below uses fd directly
  int fd = -1;
  std::string peer;
  std::deque<std::shared_ptr<const std::string>> queue;
  size_t offset = 0;  // bytes of queue.front() already written
  std::string input;
  uint64_t seq = 0;  // last document sequence queued
  Clock::time_point last_heard, last_ping;
  uint32_t events = 0;
  bool closing = false;  // a CLOSE is queued: close once it is written
};

WsBroadcaster::WsBroadcaster(Options options) : options_(options) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    const int e = errno;
    close(epoll_fd_);
    throw std::system_error(e, std::generic_category(), "eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

WsBroadcaster::~WsBroadcaster() {
  stop();
  close(wake_fd_);
  close(epoll_fd_);
}

void WsBroadcaster::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void WsBroadcaster::stop() {
  stopping_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
}

bool WsBroadcaster::try_reserve() {
  size_t n = slots_.load();
  do {
    if (n >= options_.max_clients || stopping_) return false;
  } while (!slots_.compare_exchange_weak(n, n + 1));
  return true;
}

void WsBroadcaster::release() { slots_.fetch_sub(1); }

void WsBroadcaster::add(std::unique_ptr<Poco::Net::WebSocket> socket) {
  {
    std::lock_guard lock(mutex_);
    incoming_.push_back(std::move(socket));
  }
  wake();
}

void WsBroadcaster::publish(std::string_view document) {
  auto frame = std::make_shared<const std::string>(make_ws_frame(kWsText, document));
  {
    std::lock_guard lock(mutex_);
    latest_ = std::move(frame);
    ++latest_seq_;
  }
  wake();
}

void WsBroadcaster::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void WsBroadcaster::update_events(Client& c) {
  const uint32_t wanted = EPOLLIN | EPOLLRDHUP | (c.queue.empty() ? 0u : uint32_t{EPOLLOUT});
  if (wanted == c.events) return;
  epoll_event ev{};
  ev.events = wanted;
  ev.data.fd = c.fd;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  c.events = wanted;
}

void WsBroadcaster::drop(int fd, const char* why) {
  std::unique_ptr<Client>& slot = clients_[static_cast<size_t>(fd)];
  if (!slot) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  if (why) {
    dropped_.fetch_add(1);
    log_info("WebSocket client " + slot->peer + " dropped: " + why);
  }
  slot.reset();  // closes the socket
  slots_.fetch_sub(1);
}

bool WsBroadcaster::flush(Client& c) {
  while (!c.queue.empty()) {
    const std::string& frame = *c.queue.front();
    const ssize_t n = ::send(c.fd, frame.data() + c.offset, frame.size() - c.offset, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.offset += static_cast<size_t>(n);
      if (c.offset == frame.size()) {
        c.queue.pop_front();
        c.offset = 0;
      }
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      drop(c.fd, errno == EPIPE || errno == ECONNRESET ? nullptr : "send failed");
      return false;
    }
  }
  if (c.queue.empty() && c.closing) {
    shutdown(c.fd, SHUT_WR);
    drop(c.fd, nullptr);
    return false;
  }
  update_events(c);
  return true;
}

bool WsBroadcaster::enqueue(Client& c, std::shared_ptr<const std::string> frame) {
  if (c.closing) return true;
  // Checked before the kernel buffer is even tried: a client this far behind has stopped reading,
  // and queueing more for it would only grow memory without bound.
  if (c.queue.size() >= options_.max_queued_frames) {
    drop(c.fd, "send queue full (client not reading)");
    return false;
  }
  c.queue.push_back(std::move(frame));
  return c.queue.size() > 1 ? true : flush(c);
}

// Queues a CLOSE past the queue bound (it is the last frame) and closes once it is written.
bool WsBroadcaster::send_close(Client& c, uint16_t code, std::string_view reason) {
  if (c.closing) return true;
  c.queue.push_back(std::make_shared<const std::string>(make_ws_frame(kWsClose, close_payload(code, reason))));
  c.closing = true;
  return flush(c);
}

bool WsBroadcaster::on_readable(Client& c) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      c.input.append(buf, static_cast<size_t>(n));
      if (c.input.size() > options_.max_message_bytes + 14) break;  // parsed (and refused) below
      continue;
    }
    if (n == 0) {  // the peer went away without a CLOSE
      drop(c.fd, nullptr);
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    drop(c.fd, errno == ECONNRESET ? nullptr : "receive failed");  // a reset is just a rude goodbye
    return false;
  }
  c.last_heard = Clock::now();
  size_t pos = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(c.input.data());
  while (!c.closing && c.input.size() - pos >= 2) {
    const unsigned char* h = in + pos;
    const uint8_t opcode = h[0] & 0x0F;
    const bool masked = (h[1] & 0x80) != 0;
    uint64_t length = h[1] & 0x7F;
    size_t header = 2;
    if (length == 126) {
      if (c.input.size() - pos < 4) break;
      length = (uint64_t{h[2]} << 8) | h[3];
      header = 4;
    } else if (length == 127) {
      if (c.input.size() - pos < 10) break;
      length = 0;
      for (int i = 2; i < 10; ++i) length = (length << 8) | h[i];
      header = 10;
    }
    // RFC 6455 5.1: a server must close on an unmasked client frame.
    if (!masked) return send_close(c, kCloseProtocolError, "client frames must be masked");
    if (length > options_.max_message_bytes) return send_close(c, kCloseTooBig, "message too big");
    if (c.input.size() - pos < header + 4 + length) break;
    const unsigned char* mask = h + header;
    std::string payload(reinterpret_cast<const char*>(h + header + 4), static_cast<size_t>(length));
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ mask[i % 4]);
    pos += header + 4 + static_cast<size_t>(length);
    if (opcode == kWsClose) {
      // Echo the status code, as RFC 6455 5.5.1 asks.
      const std::string_view code = std::string_view(payload).substr(0, payload.size() >= 2 ? 2 : 0);
      c.queue.push_back(std::make_shared<const std::string>(make_ws_frame(kWsClose, code)));
      c.closing = true;
      return flush(c);
    }
    if (opcode == kWsPing && !enqueue(c, std::make_shared<const std::string>(make_ws_frame(kWsPong, payload)))) {
      return false;
    }
    // Pongs and data frames only prove the client is alive (last_heard above).
  }
  c.input.erase(0, pos);
  if (c.input.size() > options_.max_message_bytes + 14) return send_close(c, kCloseTooBig, "message too big");
  return true;
}

void WsBroadcaster::run() {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  uint64_t sent_seq = 0;
  std::shared_ptr<const std::string> latest;
  const auto sweep_every = std::clamp<Clock::duration>(std::min(options_.ping_interval, options_.idle_timeout) / 4,
                                                       std::chrono::milliseconds{10}, std::chrono::seconds{1});
  auto next_sweep = Clock::now() + sweep_every;
  const auto ping_frame = std::make_shared<const std::string>(make_ws_frame(kWsPing, ""));

  while (!stopping_) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_sweep - Clock::now()).count();
    const int n = epoll_wait(epoll_fd_, events, kMaxEvents, static_cast<int>(std::max<int64_t>(0, wait)));
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        uint64_t count;
        [[maybe_unused]] ssize_t r = read(wake_fd_, &count, sizeof count);
        continue;
      }
      if (static_cast<size_t>(fd) >= clients_.size() || !clients_[static_cast<size_t>(fd)]) continue;
      Client& c = *clients_[static_cast<size_t>(fd)];
      const uint32_t e = events[i].events;
      if ((e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && !on_readable(c)) continue;
      if ((e & EPOLLOUT) && !flush(c)) continue;
    }

    std::vector<std::unique_ptr<Poco::Net::WebSocket>> incoming;
    uint64_t seq;
    {
      std::lock_guard lock(mutex_);
      incoming.swap(incoming_);
      seq = latest_seq_;
      latest = latest_;
    }
    const auto now = Clock::now();
    for (std::unique_ptr<Poco::Net::WebSocket>& socket : incoming) {
      auto c = std::make_unique<Client>(std::move(socket));
      c->last_heard = c->last_ping = now;
      c->events = EPOLLIN | EPOLLRDHUP;
      try {
        c->peer = c->socket->peerAddress().toString();
      } catch (const Poco::Exception&) {
        c->peer = "?";
      }
      const int fd = c->fd;
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      // A small kernel buffer makes a client that stopped reading reach its queue bound (and be
      // dropped) after a few documents instead of after megabytes.
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &options_.send_buffer_bytes, sizeof options_.send_buffer_bytes);
      epoll_event ev{};
      ev.events = c->events;
      ev.data.fd = fd;
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        slots_.fetch_sub(1);
        continue;
      }
      if (clients_.size() <= static_cast<size_t>(fd)) clients_.resize(static_cast<size_t>(fd) + 1);
      clients_[static_cast<size_t>(fd)] = std::move(c);
      Client& client = *clients_[static_cast<size_t>(fd)];
      client.seq = seq;
      if (latest) enqueue(client, latest);
    }

    if (seq != sent_seq && latest) {
      for (size_t fd = 0; fd < clients_.size(); ++fd) {
        if (clients_[fd] && clients_[fd]->seq != seq) {
          clients_[fd]->seq = seq;
          enqueue(*clients_[fd], latest);
        }
      }
      sent_seq = seq;
    }

    if (now >= next_sweep) {
      next_sweep = now + sweep_every;
      for (size_t fd = 0; fd < clients_.size(); ++fd) {
        if (!clients_[fd]) continue;
        Client& c = *clients_[fd];
        const auto silent = now - c.last_heard;
        if (silent >= options_.idle_timeout) {
          if (c.queue.empty()) {
            const std::string frame = make_ws_frame(kWsClose, close_payload(kCloseGoingAway, "idle timeout"));
            [[maybe_unused]] ssize_t r = ::send(c.fd, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
          }
          drop(c.fd, "idle timeout (no pong)");
        } else if (silent >= options_.ping_interval && now - c.last_ping >= options_.ping_interval) {
          c.last_ping = now;
          enqueue(c, ping_frame);
        }
      }
    }
  }

  // Shutting down: a CLOSE for everyone, written only as far as the kernel takes it now.
  {
    std::lock_guard lock(mutex_);
    slots_.fetch_sub(incoming_.size());
    incoming_.clear();
  }
  for (size_t fd = 0; fd < clients_.size(); ++fd) {
    if (!clients_[fd]) continue;
    Client& c = *clients_[fd];
    if (!send_close(c, kCloseGoingAway, "server shutting down")) continue;
    // Unread input would turn close() into a reset that can discard the CLOSE still in flight.
    char buf[4096];
    while (::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
    shutdown(c.fd, SHUT_WR);
    drop(c.fd, nullptr);
  }
  clients_.clear();
}

}  // namespace resync::server::detail

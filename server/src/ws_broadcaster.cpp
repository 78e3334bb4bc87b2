// SPDX-License-Identifier: MIT
#include "ws_broadcaster.hpp"

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
#include "ws_frame.hpp"

namespace resync::server::detail {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kNoDocument = UINT64_MAX;

std::shared_ptr<const std::string> frame_of(uint8_t opcode, std::string_view payload) {
  return std::make_shared<const std::string>(encode_ws_frame(opcode, payload));
}

}  // namespace

struct WsBroadcaster::Client {
  explicit Client(std::unique_ptr<Transport> t) : transport(std::move(t)), fd(transport->fd()) {}

  std::unique_ptr<Transport> transport;  // owns the connection
  int fd = -1;
  std::string peer;
  std::deque<std::shared_ptr<const std::string>> queue;
  size_t offset = 0;  // bytes of queue.front() already written
  std::string input;
  uint64_t generation = kNoDocument;  // of the last document queued
  Clock::time_point last_heard, last_ping;
  uint32_t events = 0;
  bool closing = false;  // a CLOSE is queued: close once it is written
};

WsBroadcaster::WsBroadcaster(Options options, Source source)
    : options_(options), source_(std::move(source)) {
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

void WsBroadcaster::add(std::unique_ptr<Transport> transport, std::string peer) {
  {
    std::lock_guard lock(mutex_);
    incoming_.push_back({std::move(transport), std::move(peer)});
  }
  wake();
}

void WsBroadcaster::notify() {
  announced_.fetch_add(1);
  // Without clients the thread sleeps on; the next add() wakes it and it fetches then.
  if (slots_.load() > 0) wake();
}

void WsBroadcaster::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void WsBroadcaster::update_events(Client& c) {
  // A TLS read that must write first (a key update) waits for room as a queued frame does.
  const bool room = !c.queue.empty() || c.transport->wants() == Transport::kWantWrite;
  const uint32_t wanted = EPOLLIN | EPOLLRDHUP | (room ? uint32_t{EPOLLOUT} : 0u);
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
  --client_count_;
  slots_.fetch_sub(1);
}

bool WsBroadcaster::flush(Client& c) {
  while (!c.queue.empty()) {
    const std::string& frame = *c.queue.front();
    const ssize_t n = c.transport->write(frame.data() + c.offset, frame.size() - c.offset);
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
    c.transport->shutdown_write();
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
  c.queue.push_back(frame_of(kWsClose, ws_close_payload(code, reason)));
  c.closing = true;
  return flush(c);
}

bool WsBroadcaster::on_readable(Client& c) {
  char buf[4096];
  for (;;) {
    const ssize_t n = c.transport->read(buf, sizeof buf);
    if (n > 0) {
      c.input.append(buf, static_cast<size_t>(n));
      if (c.input.size() > options_.max_message_bytes + kWsMaxHeaderBytes)
        break;  // parsed (and refused) below
      continue;
    }
    if (n == 0) {  // the peer went away without a CLOSE
      drop(c.fd, nullptr);
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (c.transport->wants() == Transport::kWantWrite) update_events(c);
      break;
    }
    drop(c.fd, errno == ECONNRESET ? nullptr : "receive failed");  // a reset is just a rude goodbye
    return false;
  }
  c.last_heard = Clock::now();
  size_t pos = 0;
  while (!c.closing) {
    const std::string_view rest = std::string_view(c.input).substr(pos);
    const auto frame = decode_ws_frame_header(rest);
    if (!frame) break;
    // RFC 6455 5.1: a server must close on an unmasked client frame.
    if (!frame->masked) return send_close(c, kCloseProtocolError, "client frames must be masked");
    if (frame->payload_size > options_.max_message_bytes)
      return send_close(c, kCloseTooBig, "message too big");
    const auto size = static_cast<size_t>(frame->payload_size);
    if (rest.size() < frame->header_size + size) break;
    std::string payload(rest.substr(frame->header_size, size));
    apply_ws_mask(payload.data(), payload.size(), frame->mask);
    pos += frame->header_size + size;
    if (frame->opcode == kWsClose) {
      // Echo the status code, as RFC 6455 5.5.1 asks.
      const std::string_view code =
          std::string_view(payload).substr(0, payload.size() >= 2 ? 2 : 0);
      c.queue.push_back(frame_of(kWsClose, code));
      c.closing = true;
      return flush(c);
    }
    if (frame->opcode == kWsPing && !enqueue(c, frame_of(kWsPong, payload))) return false;
    // Pongs and data frames only prove the client is alive (last_heard above).
  }
  c.input.erase(0, pos);
  if (c.input.size() > options_.max_message_bytes + kWsMaxHeaderBytes) {
    return send_close(c, kCloseTooBig, "message too big");
  }
  return true;
}

void WsBroadcaster::accept_incoming(std::vector<Incoming> incoming) {
  const auto now = Clock::now();
  for (Incoming& in : incoming) {
    auto c = std::make_unique<Client>(std::move(in.transport));
    c->last_heard = c->last_ping = now;
    c->events = EPOLLIN | EPOLLRDHUP;
    c->peer = std::move(in.peer);
    const int fd = c->fd;
    // A small kernel buffer makes a client that stopped reading reach its queue bound (and be
    // dropped) after a few documents instead of after megabytes.
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &options_.send_buffer_bytes,
               sizeof options_.send_buffer_bytes);
    epoll_event ev{};
    ev.events = c->events;
    ev.data.fd = fd;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      slots_.fetch_sub(1);
      continue;
    }
    if (clients_.size() <= static_cast<size_t>(fd)) clients_.resize(static_cast<size_t>(fd) + 1);
    clients_[static_cast<size_t>(fd)] = std::move(c);
    ++client_count_;
  }
}

void WsBroadcaster::push_latest() {
  if (client_count_ == 0) return;
  const uint64_t announced = announced_.load();
  if (announced != fetched_announcement_ || !latest_) {
    // Recorded before asking, so a sample landing during the render is fetched next time round.
    fetched_announcement_ = announced;
    try {
      Push push = source_();
      if (!latest_ || push.generation != latest_generation_) {
        latest_ = frame_of(kWsText, push.body);
        latest_generation_ = push.generation;
      }
    } catch (const std::exception& e) {
      log_error(std::string("WebSocket push: ") + e.what());
    }
  }
  if (!latest_) return;
  for (size_t fd = 0; fd < clients_.size(); ++fd) {
    if (clients_[fd] && clients_[fd]->generation != latest_generation_) {
      clients_[fd]->generation = latest_generation_;
      enqueue(*clients_[fd], latest_);
    }
  }
}

void WsBroadcaster::sweep(Clock::time_point now) {
  static const auto ping_frame = frame_of(kWsPing, "");
  for (size_t fd = 0; fd < clients_.size(); ++fd) {
    if (!clients_[fd]) continue;
    Client& c = *clients_[fd];
    const auto silent = now - c.last_heard;
    if (silent >= options_.idle_timeout) {
      if (c.queue.empty()) {
        const std::string frame =
            encode_ws_frame(kWsClose, ws_close_payload(kCloseGoingAway, "idle timeout"));
        [[maybe_unused]] ssize_t r = c.transport->write(frame.data(), frame.size());
      }
      drop(c.fd, "idle timeout (no pong)");
    } else if (silent >= options_.ping_interval && now - c.last_ping >= options_.ping_interval) {
      c.last_ping = now;
      enqueue(c, ping_frame);
    }
  }
}

void WsBroadcaster::run() {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  const auto sweep_every =
      std::clamp<Clock::duration>(std::min(options_.ping_interval, options_.idle_timeout) / 4,
                                  std::chrono::milliseconds{10}, std::chrono::seconds{1});
  auto next_sweep = Clock::now() + sweep_every;

  while (!stopping_) {
    // No clients, nothing to sweep: sleep until add(), notify() with clients, or stop() wakes us.
    int timeout = -1;
    if (client_count_ > 0) {
      const auto wait =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_sweep - Clock::now()).count();
      timeout = static_cast<int>(std::clamp<int64_t>(wait, 0, 1000));
    }
    const int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        uint64_t count;
        [[maybe_unused]] ssize_t r = read(wake_fd_, &count, sizeof count);
        continue;
      }
      if (static_cast<size_t>(fd) >= clients_.size() || !clients_[static_cast<size_t>(fd)])
        continue;
      Client& c = *clients_[static_cast<size_t>(fd)];
      const uint32_t e = events[i].events;
      // Room for a TLS read that had to write first counts as readable.
      const bool read_waits_for_room =
          (e & EPOLLOUT) && c.queue.empty() && c.transport->wants() == Transport::kWantWrite;
      if (((e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) || read_waits_for_room) &&
          !on_readable(c))
        continue;
      if ((e & EPOLLOUT) && !flush(c)) continue;
    }

    std::vector<Incoming> incoming;
    {
      std::lock_guard lock(mutex_);
      incoming.swap(incoming_);
    }
    if (!incoming.empty() && client_count_ == 0) next_sweep = Clock::now() + sweep_every;
    accept_incoming(std::move(incoming));
    push_latest();

    const auto now = Clock::now();
    if (client_count_ > 0 && now >= next_sweep) {
      next_sweep = now + sweep_every;
      sweep(now);
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
    while (c.transport->read(buf, sizeof buf) > 0) {
    }
    c.transport->shutdown_write();
    drop(c.fd, nullptr);
  }
  clients_.clear();
}

}  // namespace resync::server::detail

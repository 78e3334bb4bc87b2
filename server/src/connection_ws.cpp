// SPDX-License-Identifier: MIT
// WebSocket clients on the loop that accepted them: the frames pushed after each sample (one
// buffer shared by every client), PING, CLOSE and the masking rule of RFC 6455, pings to silent
// clients, and dropping those that stop reading or answering. Bytes go through the Transport only.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

#include "connection_loop.hpp"
#include "resync/log.hpp"
#include "ws_frame.hpp"

namespace resync::server::detail {
namespace {

constexpr uint32_t kWsEvents = EPOLLIN | EPOLLRDHUP;
// Frames gathered into one writev: a client that fell a few pushes behind catches up in one call.
constexpr int kFramesPerWrite = 16;
constexpr size_t kWsReadChunk = 4096;

// EPOLLOUT while frames wait, unless a TLS transport must read first (a key update in flight: room
// would wake the loop for nothing), or while a TLS read must write first.
uint32_t ws_events(const Transport& t, bool queued) {
  const unsigned wants = t.wants();
  const bool room = (queued && wants != Transport::kWantRead) || wants == Transport::kWantWrite;
  return kWsEvents | (room ? uint32_t{EPOLLOUT} : 0u);
}

std::shared_ptr<const std::string> control_frame(uint8_t opcode, std::string_view payload) {
  return std::make_shared<const std::string>(encode_ws_frame(opcode, payload));
}

}  // namespace

// The 101 is written: the connection becomes a WebSocket client of this loop.
void ConnectionLoop::ws_upgrade(Conn& c) {
  // Counted against max_ws_clients from now on, not against the per-client HTTP cap.
  shared_.release(c.client);
  c.ws = std::make_unique<WsState>();
  c.ws->input = c.in.substr(c.consumed);  // a frame sent right behind the upgrade request
  c.request = Request{};
  std::string().swap(c.in);
  std::string().swap(c.out_head);
  c.answer = Answer{};
  c.phase = Phase::kWebSocket;
  c.deadline = Clock::time_point::max();  // ws_sweep() judges it instead
  c.ws->last_heard = c.ws->last_ping = Clock::now();
  // A small kernel buffer makes a client that stopped reading reach its queue bound (and be
  // dropped) after a few documents instead of after megabytes.
  const int bytes = ws_.options().send_buffer_bytes;
  setsockopt(c.transport->fd(), SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  ++ws_clients_;
  want(c, kWsEvents);
  if (const std::shared_ptr<const WsFrame> latest = ws_.latest()) {
    c.ws->generation = latest->generation;
    if (!ws_enqueue(c, {latest, &latest->bytes})) return;
  }
  ws_.joined();  // a fresher frame, if latest() was stale, comes through post()
  if (!c.ws->input.empty()) ws_parse(c);
}

void ConnectionLoop::ws_event(Conn& c, uint32_t events) {
  // Room for a TLS read that had to write first counts as readable.
  const bool read_waits_for_room =
      (events & EPOLLOUT) && c.ws->queue.empty() && c.transport->wants() == Transport::kWantWrite;
  if (((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) || read_waits_for_room) &&
      !ws_read(c))
    return;
  // Frames held back by a TLS write that had to read first go on after a read, too.
  if ((events & EPOLLOUT) || !c.ws->queue.empty()) ws_flush(c);
}

bool ConnectionLoop::ws_read(Conn& c) {
  WsState& w = *c.ws;
  const size_t cap = ws_.options().max_message_bytes + kWsMaxHeaderBytes;
  char chunk[kWsReadChunk];
  for (;;) {
    const ssize_t n = c.transport->read(chunk, sizeof chunk);
    if (n > 0) {
      w.input.append(chunk, static_cast<size_t>(n));
      if (w.input.size() > cap) break;  // parsed (and refused) below
      continue;
    }
    if (n == 0) {  // the peer went away without a CLOSE
      ws_drop(c, nullptr);
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (c.transport->wants() == Transport::kWantWrite) want(c, ws_events(*c.transport, false));
      break;
    }
    ws_drop(c, errno == ECONNRESET ? nullptr : "receive failed");  // a reset is a rude goodbye
    return false;
  }
  w.last_heard = Clock::now();
  return ws_parse(c);
}

// Answers the complete frames in the input: PING with PONG, CLOSE with CLOSE; anything else only
// proves the client alive.
bool ConnectionLoop::ws_parse(Conn& c) {
  WsState& w = *c.ws;
  const size_t max_message = ws_.options().max_message_bytes;
  size_t pos = 0;
  while (!w.closing) {
    const std::string_view rest = std::string_view(w.input).substr(pos);
    const auto frame = decode_ws_frame_header(rest);
    if (!frame) break;
    // RFC 6455 5.1: a server must close on an unmasked client frame.
    if (!frame->masked)
      return ws_send_close(c, kCloseProtocolError, "client frames must be masked");
    if (frame->payload_size > max_message) return ws_send_close(c, kCloseTooBig, "message too big");
    const auto size = static_cast<size_t>(frame->payload_size);
    if (rest.size() < frame->header_size + size) break;
    std::string payload(rest.substr(frame->header_size, size));
    apply_ws_mask(payload.data(), payload.size(), frame->mask);
    pos += frame->header_size + size;
    if (frame->opcode == kWsClose) {
      // Echo the status code, as RFC 6455 5.5.1 asks.
      const std::string_view code =
          std::string_view(payload).substr(0, payload.size() >= 2 ? 2 : 0);
      w.queue.push_back(control_frame(kWsClose, code));
      w.closing = true;
      return ws_flush(c);
    }
    if (frame->opcode == kWsPing && !ws_enqueue(c, control_frame(kWsPong, payload))) return false;
  }
  w.input.erase(0, pos);
  if (w.input.size() > max_message + kWsMaxHeaderBytes) {
    return ws_send_close(c, kCloseTooBig, "message too big");
  }
  return true;
}

// Writes queued frames, several per writev, until the queue is empty or the socket is full (then
// EPOLLOUT says when to go on).
bool ConnectionLoop::ws_flush(Conn& c) {
  WsState& w = *c.ws;
  while (!w.queue.empty()) {
    iovec parts[kFramesPerWrite];
    int count = 0;
    for (auto it = w.queue.begin(); it != w.queue.end() && count < kFramesPerWrite; ++it) {
      const size_t skip = count == 0 ? w.offset : 0;
      parts[count++] = {const_cast<char*>((*it)->data()) + skip, (*it)->size() - skip};
    }
    const ssize_t n = c.transport->writev(parts, count, false);
    if (n > 0) {
      auto left = static_cast<size_t>(n);
      while (left > 0) {
        const size_t rest = w.queue.front()->size() - w.offset;
        if (left < rest) {
          w.offset += left;
          break;
        }
        left -= rest;
        w.queue.pop_front();
        w.offset = 0;
      }
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else {
      ws_drop(c, errno == EPIPE || errno == ECONNRESET ? nullptr : "send failed");
      return false;
    }
  }
  if (w.queue.empty() && w.closing) {
    c.transport->shutdown_write();
    ws_drop(c, nullptr);
    return false;
  }
  want(c, ws_events(*c.transport, !w.queue.empty()));
  return true;
}

bool ConnectionLoop::ws_enqueue(Conn& c, std::shared_ptr<const std::string> frame) {
  WsState& w = *c.ws;
  if (w.closing) return true;
  // Checked before the kernel buffer is even tried: a client this far behind has stopped reading,
  // and queueing more for it would only grow memory without bound.
  if (w.queue.size() >= ws_.options().max_queued_frames) {
    ws_drop(c, "send queue full (client not reading)");
    return false;
  }
  w.queue.push_back(std::move(frame));
  return w.queue.size() > 1 ? true : ws_flush(c);
}

// Queues a CLOSE past the queue bound (it is the last frame) and closes once it is written.
bool ConnectionLoop::ws_send_close(Conn& c, uint16_t code, std::string_view reason) {
  if (c.ws->closing) return true;
  c.ws->queue.push_back(control_frame(kWsClose, ws_close_payload(code, reason)));
  c.ws->closing = true;
  return ws_flush(c);
}

// A frame posted by the render pool: queued for every client of this loop that has not had it or
// a newer one.
void ConnectionLoop::ws_push(const std::shared_ptr<const WsFrame>& frame) {
  if (ws_clients_ == 0) return;
  const std::shared_ptr<const std::string> bytes(frame, &frame->bytes);  // shares `frame`
  for (auto& slot : conns_) {
    // Newer documents only: a client that joined with latest() may have it already.
    if (!slot || !slot->ws || (slot->ws->generation && *slot->ws->generation >= frame->generation))
      continue;
    slot->ws->generation = frame->generation;
    ws_enqueue(*slot, bytes);  // may close `slot`, which the loop then skips
  }
}

void ConnectionLoop::ws_sweep(Conn& c, Clock::time_point now) {
  static const auto ping_frame = control_frame(kWsPing, "");
  WsState& w = *c.ws;
  const WsBroadcaster::Options& o = ws_.options();
  const auto silent = now - w.last_heard;
  if (silent >= o.idle_timeout) {
    if (w.queue.empty()) {
      const std::string frame =
          encode_ws_frame(kWsClose, ws_close_payload(kCloseGoingAway, "idle timeout"));
      [[maybe_unused]] const ssize_t n = c.transport->write(frame.data(), frame.size());
    }
    ws_drop(c, "idle timeout (no pong)");
  } else if (silent >= o.ping_interval && now - w.last_ping >= o.ping_interval) {
    w.last_ping = now;
    ws_enqueue(c, ping_frame);
  }
}

// `why` = nullptr for an orderly close (not counted as a drop, not logged).
void ConnectionLoop::ws_drop(Conn& c, const char* why) {
  if (why) {
    ws_.count_drop();
    log_info("WebSocket client " + c.peer + " dropped: " + why);
  }
  close(c.transport->fd());
}

// Shutting down: a CLOSE 1001, written only as far as the kernel takes it now.
void ConnectionLoop::ws_goodbye(Conn& c) {
  // Unread input would turn close() into a reset that can discard the CLOSE still in flight.
  char chunk[kWsReadChunk];
  while (c.transport->read(chunk, sizeof chunk) > 0) {
  }
  if (!ws_send_close(c, kCloseGoingAway, "server shutting down")) return;
  c.transport->shutdown_write();
}

}  // namespace resync::server::detail

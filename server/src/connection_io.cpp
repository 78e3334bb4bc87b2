// SPDX-License-Identifier: MIT
// One connection on the loop: reading, the request head and body checks, routing, writing the
// answer, and the renders it waits for.
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "connection_loop.hpp"
#include "raw_response.hpp"
#include "resync/log.hpp"

namespace resync::server::detail {
namespace {

using namespace std::chrono_literals;

// After an answer that closes the connection, unread input is drained this long so that closing
// does not reset the connection before the client has read the answer.
constexpr auto kLingerTime = 1s;
constexpr size_t kReadChunk = 16384;
constexpr uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP;

// The end of a request head, searched from `from`: "\n\r\n" or "\n\n".
bool head_ends(const std::string& b, size_t from) {
  for (size_t i = from; i < b.size(); ++i) {
    if (b[i] != '\n') continue;
    if (i + 1 < b.size() && b[i + 1] == '\n') return true;
    if (i + 2 < b.size() && b[i + 1] == '\r' && b[i + 2] == '\n') return true;
  }
  return false;
}

// What a write that met EAGAIN waits for: room, unless a TLS transport must read first (a
// renegotiation or key update in flight).
uint32_t write_events(const Transport& t) {
  return t.wants() == Transport::kWantRead ? kReadEvents : uint32_t{EPOLLOUT};
}

// One write of what is left of an answer, `written` bytes in: its bytes in memory (head, then
// tail) with writev, then its file, if it has one, with sendfile. One loop drives both, so a
// short write, EAGAIN or an error is handled once.
ssize_t write_some(Transport& t, std::string_view head, std::string_view tail, const Answer& a,
                   size_t written) {
  const size_t bytes = head.size() + tail.size();
  if (written >= bytes) {
    off_t offset = static_cast<off_t>(written - bytes);
    return t.send_file(a.file, &offset, bytes + a.file_size - written);
  }
  iovec parts[2];
  int count = 0;
  if (written < head.size()) {
    parts[count++] = {const_cast<char*>(head.data()) + written, head.size() - written};
    if (!tail.empty()) parts[count++] = {const_cast<char*>(tail.data()), tail.size()};
  } else {
    const size_t offset = written - head.size();
    parts[count++] = {const_cast<char*>(tail.data()) + offset, tail.size() - offset};
  }
  return t.writev(parts, count, a.file >= 0);  // with a file to follow, TCP holds a short segment
}

bool is_token_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Whether `in` can still become a request line: a method (a token of at most 32 characters) and
// a space, after at most 8 stray line ends. A TLS ClientHello (first byte 0x16) or other binary
// bytes fail at their first byte, so the client gets its 400 now instead of a 408 at the deadline.
bool could_be_http(std::string_view in) {
  size_t i = 0;
  while (i < in.size() && i <= 8 && (in[i] == '\r' || in[i] == '\n')) ++i;
  const size_t method_start = i;
  for (; i < in.size(); ++i) {
    if (in[i] == ' ') return i > method_start;
    if (!is_token_char(static_cast<unsigned char>(in[i])) || i - method_start >= 32) return false;
  }
  return true;
}

}  // namespace

void ConnectionLoop::on_event(int fd, uint32_t events) {
  Conn* c = find(fd);
  if (!c) return;
  if (c->ws) return ws_event(*c, events);
  if (c->phase == Phase::kRendering) return close(fd);  // only errors are watched meanwhile
  if (c->phase == Phase::kWriting) {
    // Room to write again; once the answer is out, a pipelined request may be waiting in `in`.
    if (!flush(*c) || c->phase != Phase::kIdle) return;
  } else {
    read_input(*c);
    if (c->phase == Phase::kClosing) {
      if (c->peer_done) close(fd);
      return;
    }
  }
  evaluate(*c);
  c = find(fd);
  // A client may send its request and shut down its side at once (nc, some scripts): a complete
  // request is still answered; only then, or with nothing to answer, is the connection closed.
  if (c && c->peer_done && c->phase != Phase::kWriting && c->phase != Phase::kRendering) close(fd);
}

void ConnectionLoop::read_input(Conn& c) {
  const size_t cap = options_.limits.max_head_bytes + options_.max_body_bytes + kReadChunk;
  char chunk[kReadChunk];
  for (;;) {
    const ssize_t n = c.transport->read(chunk, sizeof chunk);
    if (n > 0) {
      if (c.phase != Phase::kClosing) c.in.append(chunk, static_cast<size_t>(n));
      // A short read drained the socket: level-triggered epoll reports what comes later, so the
      // EAGAIN a second read would return is one system call per request saved. Not so for
      // bytes a TLS transport holds already: no event would ever announce them.
      if (c.in.size() >= cap) return;
      if (static_cast<size_t>(n) < sizeof chunk && !c.transport->has_buffered()) return;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // A TLS read may have to write first (a handshake message): wait for room then.
      return want(
          c, c.transport->wants() == Transport::kWantWrite ? EPOLLOUT | EPOLLRDHUP : kReadEvents);
    }
    c.peer_done = true;  // closed, half-closed or reset
    return;
  }
}

void ConnectionLoop::evaluate(Conn& c) {
  const int fd = c.transport->fd();
  while ((c.phase == Phase::kIdle || c.phase == Phase::kReading) && !c.in.empty()) {
    if (!next_request(c)) return;
    std::optional<Render> render = router_.route(c.request, c.answer);
    if (render) return defer(c, std::move(*render));
    answer(c);
    if (find(fd) != &c) return;
  }
}

// Whether `c.in` starts with a complete request that passes the loop's checks; refuses it when it
// cannot.
bool ConnectionLoop::next_request(Conn& c) {
  if (c.phase == Phase::kIdle) {
    c.phase = Phase::kReading;
    c.deadline = Clock::now() + options_.request_timeout;
  }
  if (!could_be_http(c.in)) {
    refuse(c, 400,
           static_cast<unsigned char>(c.in[0]) == 0x16
               ? "not HTTP: a TLS handshake on a plain HTTP port (use http://)"
               : "malformed request line");
    return false;
  }
  // Cheap test first: a client dripping a header byte by byte costs a scan of the new bytes.
  const size_t from = c.scanned > 2 ? c.scanned - 2 : 0;
  if (!head_ends(c.in, from)) {
    c.scanned = c.in.size();
    if (c.in.size() > options_.limits.max_head_bytes) {
      refuse(c, 431,
             "request header fields larger than " + std::to_string(options_.limits.max_head_bytes) +
                 " bytes");
    }
    return false;
  }
  RequestHead& head = c.request.head;
  std::string why;
  const HeadStatus status = parse_request_head(c.in, options_.limits, head, &why);
  if (status == HeadStatus::kIncomplete) return false;
  if (status != HeadStatus::kComplete) {
    refuse(c,
           status == HeadStatus::kMalformed  ? 400
           : status == HeadStatus::kTooLarge ? 431
                                             : 414,
           why);
    return false;
  }
  uint64_t length = 0;
  if (!check_body(c, head, length)) return false;
  // The loop holds the request until the whole Content-Length is here.
  if (c.in.size() < head.length + length) return false;
  c.consumed = head.length + length;
  c.request.derive();
  c.answer = Answer{};
  return true;
}

bool ConnectionLoop::check_body(Conn& c, const RequestHead& head, uint64_t& length) {
  const std::string_view text = head.get("Content-Length");
  if (!text.empty() && std::from_chars(text.data(), text.data() + text.size(), length).ptr !=
                           text.data() + text.size()) {
    refuse(c, 400, "malformed Content-Length");
    return false;
  }
  // Every endpoint is GET, so a body must announce its length (RFC 9110 allows 411 for exactly
  // this); a chunked body could otherwise be dripped without end.
  if (!head.get("Transfer-Encoding").empty()) {
    refuse(c, 411, "Transfer-Encoding is not accepted; send Content-Length");
    return false;
  }
  if (length > options_.max_body_bytes) {
    refuse(c, 413,
           "request body larger than " + std::to_string(options_.max_body_bytes) + " bytes");
    return false;
  }
  return true;
}

void ConnectionLoop::answer(Conn& c) {
  c.keep_alive = c.request.keep_alive && !c.answer.close && !c.peer_done;
  c.out_head.clear();
  format_head(c.answer, c.keep_alive, c.out_head);
  c.written = 0;
  c.phase = Phase::kWriting;
  c.deadline = Clock::now() + options_.request_timeout;
  flush(c);
}

// Writes what is left of the answer; false when the connection is gone (closed or handed on).
bool ConnectionLoop::flush(Conn& c) {
  const int fd = c.transport->fd();
  const std::string_view head = c.out_head;
  const std::string_view tail = answer_tail(c.answer);
  const size_t total =
      head.size() + tail.size() + (c.answer.file >= 0 ? c.answer.file_size : size_t{0});
  while (c.written < total) {
    const ssize_t n = write_some(*c.transport, head, tail, c.answer, c.written);
    if (n > 0) {
      c.written += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The client reads slower than we write: wait for room, reading nothing meanwhile.
      want(c, write_events(*c.transport));
      return true;
    } else {
      close(fd);
      return false;
    }
  }
  after_answer(c);
  return find(fd) == &c;
}

void ConnectionLoop::after_answer(Conn& c) {
  const int fd = c.transport->fd();
  if (c.answer.upgrade) return ws_upgrade(c);
  if (!c.keep_alive) {
    if (c.peer_done) return close(fd);
    c.transport->shutdown_write();
    c.phase = Phase::kClosing;
    c.in.clear();
    c.answer = Answer{};
    c.deadline = Clock::now() + kLingerTime;
    return want(c, kReadEvents);
  }
  c.in.erase(0, c.consumed);
  c.consumed = 0;
  c.scanned = 0;
  c.answer = Answer{};
  c.phase = Phase::kIdle;
  c.deadline = Clock::now() + options_.keep_alive_timeout;
  want(c, kReadEvents);
}

void ConnectionLoop::defer(Conn& c, Render render) {
  c.phase = Phase::kRendering;
  c.deadline = Clock::now() + options_.request_timeout;
  want(c, 0);  // the request's bytes must hold still; errors and hang-ups are still reported
  const std::string key = render.key.empty() ? "#" + std::to_string(c.serial) : render.key;
  std::vector<Waiter>& waiters = rendering_[key];
  waiters.push_back({c.transport->fd(), c.serial});
  if (waiters.size() > 1) return;  // that render is under way already
  pool_.submit([this, key, job = std::move(render.job)] {
    std::shared_ptr<const Document> document;
    try {
      document = job();
    } catch (const std::exception& e) {
      log_error(std::string("HTTP render: ") + e.what());
    }
    std::lock_guard lock(completions_mutex_);
    if (stopped_) return;
    const bool was_empty = queues_empty();
    completions_.push_back({key, std::move(document)});
    if (was_empty) wake();
  });
}

// A refusal closes the connection: one write (it fits a fresh socket buffer), then the input is
// drained until the client closes or the linger time ends.
void ConnectionLoop::refuse(Conn& c, int status, const std::string& message) {
  const std::string bytes = error_response(status, message, false);
  [[maybe_unused]] const ssize_t n = c.transport->write(bytes.data(), bytes.size());
  c.transport->shutdown_write();
  c.phase = Phase::kClosing;
  c.in.clear();
  c.deadline = Clock::now() + kLingerTime;
  want(c, kReadEvents);
}

}  // namespace resync::server::detail

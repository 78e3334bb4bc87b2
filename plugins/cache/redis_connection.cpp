// SPDX-License-Identifier: MIT
#include "redis_connection.hpp"

#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <string_view>

namespace resync::plugin::cache {
namespace {

using std::chrono::milliseconds;
using Kind = RedisError::Kind;

struct ReplyFree {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};

milliseconds remaining(Clock::time_point deadline, const char* during) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  if (left.count() <= 0)
    throw RedisError(Kind::kTimeout, std::string("timed out during ") + during);
  return left;
}

timeval to_timeval(milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::string format_commands(const std::vector<std::vector<std::string>>& commands) {
  std::string out;
  for (const auto& args : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    char* command = nullptr;
    const int length = redisFormatCommandArgv(&command, static_cast<int>(argv.size()), argv.data(),
                                              lengths.data());
    if (length < 0) throw std::bad_alloc();
    out.append(command, static_cast<size_t>(length));
    redisFreeCommand(command);
  }
  return out;
}

// What the reader holds but has not parsed yet. Kept before each parse because hiredis drops its
// buffer on a protocol error, and these bytes are what tells a user they reached an HTTP server
// or a TLS port instead of Redis.
std::string unparsed_start(const redisReader& r) {
  if (r.buf == nullptr || r.len <= r.pos) return {};
  return std::string(r.buf + r.pos, std::min<size_t>(r.len - r.pos, 64));
}

std::string printable_line(const std::string& bytes) {
  std::string shown;
  for (const char c : bytes) {
    if (c == '\r' || c == '\n' || shown.size() == 40) break;
    shown += (c >= 32 && c < 127) ? c : '?';
  }
  return shown;
}

RedisReply copy_reply(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r.integer;
      break;
    default:  // nil; arrays never get this far (reject_array)
      out.type = RedisReply::Type::kNil;
      break;
  }
  return out;
}

}  // namespace

void RedisConnection::ContextFree::operator()(redisContext* c) const noexcept { redisFree(c); }

RedisConnection::RedisConnection() = default;
RedisConnection::~RedisConnection() = default;

void RedisConnection::close() noexcept {
  parser_.reset();
  context_.reset();
}

void RedisConnection::open(const std::string& host, uint16_t port, Clock::time_point deadline) {
  close();
  const timeval connect_timeout = to_timeval(remaining(deadline, "connect"));
  context_.reset(redisConnectWithTimeout(host.c_str(), port, connect_timeout));
  if (!context_) throw std::bad_alloc();
  if (context_->err) {
    const std::string why = context_->errstr;
    close();
    if (why == std::strerror(ECONNREFUSED)) throw RedisError(Kind::kRefused, "connection refused");
    if (why == std::strerror(ETIMEDOUT)) throw RedisError(Kind::kTimeout, "connect timed out");
    throw RedisError(Kind::kNetwork, "connect: " + why);
  }
  parser_ = std::make_unique<RedisReplyParser>(context_->reader);
}

std::vector<RedisReply> RedisConnection::pipeline(
    const std::vector<std::vector<std::string>>& commands, Clock::time_point deadline) {
  try {
    send_all(format_commands(commands), deadline);
    std::vector<RedisReply> replies;
    replies.reserve(commands.size());
    for (size_t i = 0; i < commands.size(); ++i) replies.push_back(read_reply(deadline));
    // Redis (RESP2) never speaks unasked: a surplus would be read as the next command's answer.
    if (parser_->has_unparsed()) throw RedisError(Kind::kProtocol, "more replies than commands");
    return replies;
  } catch (...) {
    close();
    throw;
  }
}

void RedisConnection::set_timeout(Clock::time_point deadline, const char* during) {
  // SO_RCVTIMEO/SO_SNDTIMEO bound one system call; setting them from the time left before every
  // call is what turns them into a deadline for the whole exchange, even against a server that
  // drips one byte at a time.
  if (redisSetTimeout(context_.get(), to_timeval(remaining(deadline, during))) != REDIS_OK)
    throw RedisError(Kind::kNetwork, std::string("socket timeout: ") + context_->errstr);
}

void RedisConnection::send_all(const std::string& bytes, Clock::time_point deadline) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    set_timeout(deadline, "send");
    // Not redisBufferWrite: it uses write(2), and writing to a connection Redis already closed
    // would raise SIGPIPE and end the host process. MSG_NOSIGNAL makes that an error here.
    const ssize_t n = ::send(context_->fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      throw RedisError(Kind::kTimeout, "timed out sending");
    } else if (errno == EPIPE || errno == ECONNRESET) {
      throw RedisError(Kind::kClosed, "connection closed by redis");
    } else if (errno != EINTR) {
      throw RedisError(Kind::kNetwork, std::string("send: ") + std::strerror(errno));
    }
  }
}

RedisReply RedisConnection::read_reply(Clock::time_point deadline) {
  for (;;) {
    if (std::optional<RedisReply> reply = parser_->next()) return *reply;
    set_timeout(deadline, "receive");
    if (redisBufferRead(context_.get()) != REDIS_OK) throw_read_error(errno);
  }
}

void RedisConnection::throw_read_error(int saved_errno) {
  const std::string why = context_->errstr;
  switch (context_->err) {
    case REDIS_ERR_EOF:
      throw RedisError(Kind::kClosed, "connection closed by redis");
    case REDIS_ERR_IO:
      if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)
        throw RedisError(Kind::kTimeout, "no answer");
      if (saved_errno == ECONNRESET) throw RedisError(Kind::kClosed, "connection reset by redis");
      throw RedisError(Kind::kNetwork, "receive: " + why);
    default:
      throw RedisError(Kind::kProtocol, why);
  }
}

RedisReplyParser::RedisReplyParser(redisReader* reader) : reader_(reader) {
  // hiredis allocates an array's element table from the count in its header, before any element
  // arrives, so "*2000000000" alone would ask for 16 GB: refuse arrays as they are announced.
  static redisReplyObjectFunctions functions = [](redisReplyObjectFunctions f) {
    f.createArray = &RedisReplyParser::reject_array;
    return f;
  }(*reader->fn);
  reader_->fn = &functions;
  reader_->privdata = this;
}

void* RedisReplyParser::reject_array(const redisReadTask* task, int elements) {
  static_cast<RedisReplyParser*>(task->privdata)->rejected_array_ = elements;
  return nullptr;  // hiredis reports it as out of memory; next() says what it was
}

bool RedisReplyParser::has_unparsed() const { return reader_->len > reader_->pos; }

std::optional<RedisReply> RedisReplyParser::next() {
  const std::string pending = unparsed_start(*reader_);
  void* raw = nullptr;
  if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
    if (rejected_array_ >= 0)
      throw RedisError(Kind::kProtocol, "array reply of " + std::to_string(rejected_array_) +
                                            " elements where none was expected");
    if (reader_->err == REDIS_ERR_PROTOCOL)
      throw RedisError(Kind::kProtocol, "not a RESP reply: \"" + printable_line(pending) + "\" (" +
                                            reader_->errstr + ")");
    throw RedisError(Kind::kProtocol, reader_->errstr);
  }
  if (raw != nullptr) {
    const std::unique_ptr<redisReply, ReplyFree> reply(static_cast<redisReply*>(raw));
    return copy_reply(*reply);
  }
  check_pending();
  return std::nullopt;
}

// hiredis builds a bulk string only once all of it has arrived, so "$999999999999" would have it
// buffer whatever comes for a terabyte. A reader stopped on a complete line can only be waiting
// for a bulk string's body (status, error and integer lines are parsed as soon as they end;
// arrays are refused), with the type byte consumed: that line is the declared length.
void RedisReplyParser::check_pending() const {
  const redisReader& r = *reader_;
  if (r.buf == nullptr || r.len <= r.pos) return;
  const std::string_view unparsed(r.buf + r.pos, r.len - r.pos);
  const size_t end = unparsed.find("\r\n");
  if (end == std::string_view::npos) {
    if (unparsed.size() > kMaxLineBytes)
      throw RedisError(Kind::kProtocol,
                       "reply line longer than " + std::to_string(kMaxLineBytes) + " bytes");
    return;
  }
  const std::string_view length = unparsed.substr(0, end);
  const bool digits =
      !length.empty() && length.size() <= 18 &&
      std::all_of(length.begin(), length.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  if (!digits)
    throw RedisError(Kind::kProtocol,
                     "bad bulk length \"" + printable_line(std::string(length)) + "\"");
  if (std::stoll(std::string(length)) > static_cast<long long>(kMaxBulkBytes))
    throw RedisError(Kind::kProtocol,
                     "bulk reply of " + std::string(length) + " bytes is too large");
}

}  // namespace resync::plugin::cache

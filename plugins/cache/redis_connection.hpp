// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct redisContext;
struct redisReader;
struct redisReadTask;

/// A thin adapter over hiredis's synchronous context, so the rest of the collector sees neither
/// hiredis types nor its I/O rules.
namespace resync::plugin::cache {

using Clock = std::chrono::steady_clock;

/// One failed exchange with Redis. `kind` picks the status text and whether a fresh connection
/// is worth one retry. The message never holds a command's arguments.
class RedisError : public std::runtime_error {
 public:
  enum class Kind { kRefused, kTimeout, kClosed, kNetwork, kProtocol, kReply };
  RedisError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

/// One reply, copied out of hiredis's reply object.
struct RedisReply {
  enum class Type { kStatus, kError, kInteger, kString, kNil };
  Type type = Type::kNil;
  std::string text;       ///< kStatus, kError, kString
  long long integer = 0;  ///< kInteger
};

/// Replies parsed from the bytes in a hiredis reader, with RedisConnection's bounds: lines of at
/// most kMaxLineBytes, bulk strings of at most kMaxBulkBytes, no arrays (refused as announced,
/// before hiredis allocates their element table). Works on any reader, so a buffer can be parsed
/// with no connection (tests, fuzzing). Not copyable or movable: the reader points back at it.
class RedisReplyParser {
 public:
  static constexpr size_t kMaxLineBytes = 64 * 1024;
  static constexpr size_t kMaxBulkBytes = 1024 * 1024;

  /// Installs the array refusal on `reader`, which must outlive this object.
  explicit RedisReplyParser(redisReader* reader);
  RedisReplyParser(const RedisReplyParser&) = delete;
  RedisReplyParser& operator=(const RedisReplyParser&) = delete;

  /// The next complete reply, or nullopt when more bytes are needed. Throws RedisError
  /// (kProtocol) for bytes that are not RESP or exceed the bounds; the reader is then unusable.
  std::optional<RedisReply> next();
  /// Whether bytes beyond the last complete reply are buffered.
  bool has_unparsed() const;

 private:
  static void* reject_array(const redisReadTask* task, int elements);
  void check_pending() const;

  redisReader* reader_;
  long long rejected_array_ = -1;  // element count of an array reply refused by reject_array
};

/// A RESP connection whose every operation ends by a deadline and whose replies are bounded:
/// lines of at most kMaxLineBytes, bulk strings of at most kMaxBulkBytes, no arrays (none of the
/// collector's commands answers with one; INFO stats is a few KB). Any RedisError from open() or
/// pipeline() leaves it closed, because after a timeout or a bad reply the stream position is
/// unknown and a late reply would answer the next command. Not thread-safe; owned by one collector
/// instance.
class RedisConnection {
 public:
  static constexpr size_t kMaxLineBytes = RedisReplyParser::kMaxLineBytes;
  static constexpr size_t kMaxBulkBytes = RedisReplyParser::kMaxBulkBytes;

  RedisConnection();
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  bool is_open() const { return context_ != nullptr; }

  /// Resolves `host` and connects; throws RedisError (kRefused, kTimeout, kNetwork).
  void open(const std::string& host, uint16_t port, Clock::time_point deadline);
  void close() noexcept;

  /// Sends every command in one write, then reads one reply per command. Error replies are
  /// returned, not thrown; throws RedisError for everything else. Requires is_open().
  std::vector<RedisReply> pipeline(const std::vector<std::vector<std::string>>& commands,
                                   Clock::time_point deadline);

 private:
  struct ContextFree {
    void operator()(redisContext* c) const noexcept;
  };

  void send_all(const std::string& bytes, Clock::time_point deadline);
  RedisReply read_reply(Clock::time_point deadline);
  void set_timeout(Clock::time_point deadline, const char* during);
  [[noreturn]] void throw_read_error(int saved_errno);

  std::unique_ptr<redisContext, ContextFree> context_;
  std::unique_ptr<RedisReplyParser> parser_;  // on context_'s reader; reset with it
};

}  // namespace resync::plugin::cache

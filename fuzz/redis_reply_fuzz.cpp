// SPDX-License-Identifier: MIT
// The cache collector's reply handling: RESP bytes as a server (or anything listening on its port)
// sends them, cut into two reads where the first byte says, through the same bounded parser the
// connection uses, then the INFO fields read from every text reply.
#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "redis_connection.hpp"
#include "redis_source.hpp"

namespace {

using resync::plugin::cache::RedisError;
using resync::plugin::cache::RedisReply;
using resync::plugin::cache::RedisReplyParser;

struct ReaderFree {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};

// Drains every complete reply; false once the parser refused the bytes.
bool drain(RedisReplyParser& parser) {
  try {
    while (std::optional<RedisReply> reply = parser.next()) {
      if (reply->type == RedisReply::Type::kString || reply->type == RedisReply::Type::kStatus) {
        for (const char* key : {"keyspace_hits", "keyspace_misses", "evicted_keys"}) {
          resync::plugin::cache::info_field(reply->text, key);
        }
      }
    }
    return true;
  } catch (const RedisError&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t split = std::min<size_t>(data[0], size - 1);
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  const size_t length = size - 1;
  std::unique_ptr<redisReader, ReaderFree> reader(redisReaderCreate());
  RedisReplyParser parser(reader.get());
  if (redisReaderFeed(reader.get(), bytes, split) != REDIS_OK) return 0;
  if (!drain(parser)) return 0;
  if (redisReaderFeed(reader.get(), bytes + split, length - split) != REDIS_OK) return 0;
  drain(parser);
  parser.has_unparsed();
  return 0;
}

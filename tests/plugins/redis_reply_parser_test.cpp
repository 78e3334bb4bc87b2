// SPDX-License-Identifier: MIT
// The cache collector's bounded RESP reading on buffers, no connection: what the redis_reply fuzz
// target drives, with the outcomes pinned down.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <string>

#include "redis_connection.hpp"
#include "redis_source.hpp"

namespace resync::plugin::cache {
namespace {

using testing::HasSubstr;

struct ReaderFree {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};

class RedisReplyParserTest : public testing::Test {
 protected:
  void feed(const std::string& bytes) {
    ASSERT_EQ(redisReaderFeed(reader_.get(), bytes.data(), bytes.size()), REDIS_OK);
  }
  std::string error_of(const std::string& bytes) {
    feed(bytes);
    try {
      while (parser_.next()) {
      }
    } catch (const RedisError& e) {
      EXPECT_EQ(e.kind(), RedisError::Kind::kProtocol);
      return e.what();
    }
    return "";
  }

  std::unique_ptr<redisReader, ReaderFree> reader_{redisReaderCreate()};
  RedisReplyParser parser_{reader_.get()};
};

TEST_F(RedisReplyParserTest, ParsesEachTypeAcrossReads) {
  feed("+OK\r\n:42\r\n-ERR no\r\n$-1\r\n$5\r\nab");
  EXPECT_EQ(parser_.next()->text, "OK");
  EXPECT_EQ(parser_.next()->integer, 42);
  EXPECT_EQ(parser_.next()->type, RedisReply::Type::kError);
  EXPECT_EQ(parser_.next()->type, RedisReply::Type::kNil);
  EXPECT_FALSE(parser_.next());  // the bulk string is not complete yet
  feed("cde\r\n");
  EXPECT_EQ(parser_.next()->text, "abcde");
  EXPECT_FALSE(parser_.has_unparsed());
}

TEST_F(RedisReplyParserTest, RefusesWhatIsNotABoundedReply) {
  EXPECT_THAT(error_of("*2000000000\r\n"), HasSubstr("array reply of 2000000000 elements"));
}

TEST_F(RedisReplyParserTest, RefusesHugeBulkBeforeItArrives) {
  EXPECT_EQ(error_of("$1048577\r\nabc"), "bulk reply of 1048577 bytes is too large");
}

TEST_F(RedisReplyParserTest, RefusesEndlessLine) {
  EXPECT_EQ(error_of("+" + std::string(70000, 'x')), "reply line longer than 65536 bytes");
}

TEST_F(RedisReplyParserTest, RefusesNonResp) {
  EXPECT_THAT(error_of("HTTP/1.1 400 Bad Request\r\n"),
              HasSubstr("not a RESP reply: \"HTTP/1.1 400 Bad Request\""));
}

TEST(RedisInfoFieldTest, ReadsNumbersOnly) {
  const std::string info =
      "# Stats\r\nkeyspace_hits:12\r\nkeyspace_misses:x\r\nevicted_keys:1e3\r\n";
  EXPECT_EQ(info_field(info, "keyspace_hits"), 12);
  EXPECT_EQ(info_field(info, "keyspace_misses"), std::nullopt);
  EXPECT_EQ(info_field(info, "evicted_keys"), 1000);
  EXPECT_EQ(info_field(info, "keyspace"), std::nullopt);
  EXPECT_EQ(info_field("keyspace_hits:" + std::string(400, '9'), "keyspace_hits"), std::nullopt);
}

}  // namespace
}  // namespace resync::plugin::cache

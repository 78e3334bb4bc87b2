// SPDX-License-Identifier: MIT
// The cache plugin's redis source against servers that are not quite Redis: silent, slow,
// speaking HTTP, cutting replies short, announcing absurd sizes, echoing secrets. Each must end
// in a clear error within the deadline, never a crash, a hang or a huge allocation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "cache_fixtures.hpp"

namespace resync {
namespace {

using test::cache_plugin;
using test::collect_failure;
using test::Failure;
using test::FakeRedis;
using test::redis_config;

using std::chrono::milliseconds;
using testing::HasSubstr;
using testing::Not;
using testing::StartsWith;

TEST(CacheRedisProtocolTest, SilentServerTimesOutWithinTheDeadline) {
  FakeRedis silent("");
  PluginCollector collector(cache_plugin(), redis_config(silent.address(), "", 300));
  const Failure f = collect_failure(collector);
  // Its own timeout is 80 % of the host's 300 ms deadline (the message below says 240 ms); the
  // upper bound adds room for a slow machine and still tells it from a collector that waits on.
  EXPECT_LT(f.took, milliseconds{440}) << "collect() must end at its own timeout";
  EXPECT_GE(f.took, milliseconds{200});
  EXPECT_THAT(f.message, StartsWith("redis " + silent.address() + ": "));
  EXPECT_THAT(f.message, HasSubstr("timeout after 240 ms"));
  EXPECT_EQ(collector.status(), "down: timeout after 240 ms");
}

TEST(CacheRedisProtocolTest, GarbageAndTruncatedRepliesAreClearErrors) {
  FakeRedis http("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  PluginCollector not_redis(cache_plugin(), redis_config(http.address()));
  EXPECT_THAT(collect_failure(not_redis).message,
              HasSubstr("bad reply: not a RESP reply: \"HTTP/1.1 400 Bad Request\""));
  EXPECT_THAT(not_redis.status(), StartsWith("error: bad reply"));

  FakeRedis truncated("$2000\r\nrs\r\n# Stats\r\nkeyspace_hits:1", FakeRedis::Then::kClose);
  PluginCollector cut(cache_plugin(), redis_config(truncated.address()));
  EXPECT_THAT(collect_failure(cut).message, HasSubstr("connection closed by redis"));

  FakeRedis huge("$999999999999\r\n");
  PluginCollector big(cache_plugin(), redis_config(huge.address()));
  EXPECT_THAT(collect_failure(big).message, HasSubstr("too large"));
}

TEST(CacheRedisProtocolTest, SlowDripEndsAtTheDeadline) {
  // Every byte comes before a per-read timeout would expire; only a deadline over the whole
  // exchange stops the collection in time.
  const std::string info = "# Stats\r\nkeyspace_hits:1\r\nkeyspace_misses:2\r\n";
  FakeRedis drip("$" + std::to_string(info.size()) + "\r\n" + info + "\r\n:5\r\n",
                 FakeRedis::Then::kHold, milliseconds{20});
  PluginCollector collector(cache_plugin(), redis_config(drip.address(), "", 300));
  const Failure f = collect_failure(collector);
  // Per-read timeouts would let the drip run for about a second; room for a slow machine.
  EXPECT_LT(f.took, milliseconds{440});
  EXPECT_THAT(f.message, HasSubstr("timeout after 240 ms"));
}

TEST(CacheRedisProtocolTest, AbsurdSizesAreRefusedBeforeAnyAllocation) {
  FakeRedis array("*2000000000\r\n");
  PluginCollector arrays(cache_plugin(), redis_config(array.address()));
  const Failure a = collect_failure(arrays);
  EXPECT_THAT(a.message, HasSubstr("bad reply: array reply of 2000000000 elements"));
  EXPECT_LT(a.took, milliseconds{500}) << "refused as announced, not after a timeout";

  FakeRedis over("$1048577\r\n");
  PluginCollector bulk(cache_plugin(), redis_config(over.address()));
  EXPECT_THAT(collect_failure(bulk).message, HasSubstr("bulk reply of 1048577 bytes is too large"));

  FakeRedis endless("+" + std::string(1024 * 1024, 'a'));
  PluginCollector line(cache_plugin(), redis_config(endless.address()));
  EXPECT_THAT(collect_failure(line).message, HasSubstr("reply line longer than 65536 bytes"));
}

TEST(CacheRedisProtocolTest, ExtraRepliesAreAnError) {
  const std::string info = "keyspace_hits:1\r\nkeyspace_misses:1\r\n";
  FakeRedis chatty("$" + std::to_string(info.size()) + "\r\n" + info + "\r\n:3\r\n+surplus\r\n");
  PluginCollector collector(cache_plugin(), redis_config(chatty.address()));
  EXPECT_THAT(collect_failure(collector).message,
              HasSubstr("bad reply: more replies than commands"));
}

TEST(CacheRedisProtocolTest, APasswordEchoedByTheServerIsRedacted) {
  // What a store without AUTH says, Redis's own unknown-command text among them.
  FakeRedis echo(
      "-ERR unknown command 'AUTH', with args beginning with: 's3cret-pw' \r\n"
      "-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n");
  PluginCollector collector(cache_plugin(),
                            redis_config(echo.address(), R"("password": "s3cret-pw")"));
  const Failure f = collect_failure(collector);
  EXPECT_THAT(f.message,
              HasSubstr("AUTH: ERR unknown command 'AUTH', with args beginning with: '***'"));
  EXPECT_THAT(f.message, Not(HasSubstr("s3cret-pw")));
  EXPECT_THAT(collector.status(), Not(HasSubstr("s3cret-pw")));

  FakeRedis raw("s3cret-pw\r\n");
  PluginCollector garbled(cache_plugin(),
                          redis_config(raw.address(), R"("password": "s3cret-pw")"));
  const Failure g = collect_failure(garbled);
  EXPECT_THAT(g.message, HasSubstr("not a RESP reply: \"***\""));
  EXPECT_THAT(garbled.status(), Not(HasSubstr("s3cret-pw")));
}

}  // namespace
}  // namespace resync

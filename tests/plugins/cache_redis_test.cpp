// SPDX-License-Identifier: MIT
// The cache plugin's redis source through the real loader, against a real redis-server started
// per test on a free loopback port.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cache_fixtures.hpp"
#include "redis_server.hpp"
#include "resync/catalog.hpp"
#include "resync/config.hpp"
#include "resync/monitor.hpp"

namespace resync {
namespace {

using test::cache_plugin;
using test::collect_failure;
using test::Failure;
using test::redis_config;
using test::RedisClient;
using test::RedisServer;
using test::Values;

using std::chrono::milliseconds;
using testing::HasSubstr;
using testing::StartsWith;

Values collect(PluginCollector& collector) { return test::collect_once(collector); }

void lookups(RedisClient& client, int hits, int misses) {
  for (int i = 0; i < hits; ++i)
    ASSERT_NE(client.call({"GET", "key:" + std::to_string(i % 10)}), "(nil)");
  for (int i = 0; i < misses; ++i)
    ASSERT_EQ(client.call({"GET", "missing:" + std::to_string(i)}), "(nil)");
}

TEST(CacheRedisTest, ReportsCountersAndHitRatioOverTheInterval) {
  RedisServer redis;
  RedisClient client(redis.port());
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(client.call({"SET", "key:" + std::to_string(i), "v"}), "OK");
  PluginCollector collector(cache_plugin(), redis_config(redis.address()));

  Values first = collect(collector);
  EXPECT_EQ(first.at("cache_hits"), 0);
  EXPECT_EQ(first.at("cache_misses"), 0);
  EXPECT_EQ(first.at("cache_size"), 10);
  EXPECT_EQ(first.at("cache_evictions"), 0);
  EXPECT_TRUE(std::isnan(first.at("cache_hit_ratio"))) << "no lookups yet, so no ratio";
  EXPECT_EQ(collector.status(), "ok");

  lookups(client, 30, 10);
  Values second = collect(collector);
  EXPECT_EQ(second.at("cache_hits"), 30);
  EXPECT_EQ(second.at("cache_misses"), 10);
  EXPECT_DOUBLE_EQ(second.at("cache_hit_ratio"), 100.0 * 30 / 40);

  // The ratio is over the interval: 5 hits and 15 misses give 25 %, though the totals give 58 %.
  lookups(client, 5, 15);
  Values third = collect(collector);
  EXPECT_EQ(third.at("cache_hits"), 35);
  EXPECT_EQ(third.at("cache_misses"), 25);
  EXPECT_DOUBLE_EQ(third.at("cache_hit_ratio"), 25.0);

  Values idle = collect(collector);
  EXPECT_TRUE(std::isnan(idle.at("cache_hit_ratio"))) << "an interval without lookups has no ratio";
  EXPECT_EQ(idle.at("cache_hits"), 35);
}

TEST(CacheRedisTest, FirstCollectionUsesTheCumulativeRatio) {
  RedisServer redis;
  RedisClient client(redis.port());
  for (int i = 0; i < 10; ++i) client.call({"SET", "key:" + std::to_string(i), "v"});
  lookups(client, 6, 2);
  PluginCollector collector(cache_plugin(), redis_config(redis.address()));
  EXPECT_DOUBLE_EQ(collect(collector).at("cache_hit_ratio"), 75.0);
}

TEST(CacheRedisTest, CountsEvictionsUnderMaxmemory) {
  RedisServer redis({"--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru"});
  RedisClient client(redis.port());
  PluginCollector collector(cache_plugin(), redis_config(redis.address()));
  EXPECT_EQ(collect(collector).at("cache_evictions"), 0);

  const std::string value(1024, 'x');
  constexpr int kKeys = 4000;  // about 4 MB of values into a 2 MB cache
  for (int i = 0; i < kKeys; ++i)
    ASSERT_EQ(client.call({"SET", "big:" + std::to_string(i), value}), "OK");
  // Redis may evict a few more keys before each command while it is over the limit, INFO and
  // DBSIZE included; once it is under, every key written is either held or counted as evicted.
  collect(collector);
  const Values v = collect(collector);
  EXPECT_GT(v.at("cache_evictions"), 0);
  EXPECT_EQ(v.at("cache_evictions") + v.at("cache_size"), kKeys);
  EXPECT_EQ(v.at("cache_size"), client.integer({"DBSIZE"}));
  EXPECT_LT(v.at("cache_size"), kKeys);
}

TEST(CacheRedisTest, SelectsTheConfiguredDatabase) {
  RedisServer redis;
  RedisClient client(redis.port());
  for (int i = 0; i < 5; ++i) client.call({"SET", "db0:" + std::to_string(i), "v"});
  client.call({"SELECT", "3"});
  for (int i = 0; i < 3; ++i) client.call({"SET", "db3:" + std::to_string(i), "v"});
  PluginCollector db3(cache_plugin(), redis_config(redis.address(), R"("database": 3)"));
  PluginCollector db0(cache_plugin(), redis_config(redis.address()));
  EXPECT_EQ(collect(db3).at("cache_size"), 3);
  EXPECT_EQ(collect(db0).at("cache_size"), 5);
}

TEST(CacheRedisTest, AuthenticatesWithPasswordAndReportsAuthErrors) {
  RedisServer redis({"--requirepass", "s3cret-pw"});
  PluginCollector good(cache_plugin(), redis_config(redis.address(), R"("password": "s3cret-pw")"));
  EXPECT_EQ(collect(good).at("cache_size"), 0);
  EXPECT_EQ(good.status(), "ok");

  PluginCollector none(cache_plugin(), redis_config(redis.address()));
  const Failure noauth = collect_failure(none);
  EXPECT_THAT(noauth.message, StartsWith("redis " + redis.address() + ": "));
  EXPECT_THAT(noauth.message, HasSubstr("NOAUTH"));
  EXPECT_THAT(none.status(), StartsWith("unauthorized: "));

  PluginCollector wrong(cache_plugin(), redis_config(redis.address(), R"("password": "not-it")"));
  const Failure wrongpass = collect_failure(wrong);
  EXPECT_THAT(wrongpass.message, HasSubstr("AUTH: WRONGPASS"));
  EXPECT_THAT(wrongpass.message, testing::Not(HasSubstr("not-it")))
      << "the password never reaches a message";
  EXPECT_THAT(wrong.status(), StartsWith("unauthorized: "));
}

TEST(CacheRedisTest, AuthenticatesAnAclUser) {
  RedisServer redis;
  RedisClient admin(redis.port());
  ASSERT_EQ(
      admin.call({"ACL", "SETUSER", "monitor", "on", ">mon-pw", "+info", "+dbsize", "+select"}),
      "OK");
  ASSERT_EQ(admin.call({"ACL", "SETUSER", "nodbsize", "on", ">other-pw", "+info"}), "OK");
  admin.call({"SET", "k", "v"});

  PluginCollector monitor(
      cache_plugin(), redis_config(redis.address(), R"("user": "monitor", "password": "mon-pw")"));
  EXPECT_EQ(collect(monitor).at("cache_size"), 1);

  PluginCollector limited(
      cache_plugin(),
      redis_config(redis.address(), R"("user": "nodbsize", "password": "other-pw")"));
  EXPECT_THAT(collect_failure(limited).message, HasSubstr("DBSIZE: NOPERM"));

  PluginCollector wrong(cache_plugin(),
                        redis_config(redis.address(), R"("user": "monitor", "password": "nope")"));
  EXPECT_THAT(collect_failure(wrong).message, HasSubstr("WRONGPASS"));
}

TEST(CacheRedisTest, DownRedisFailsClearlyAndRecoversOnTheSameInstance) {
  RedisServer redis;
  RedisClient(redis.port()).call({"SET", "a", "1"});
  PluginCollector collector(cache_plugin(), redis_config(redis.address()));
  EXPECT_EQ(collect(collector).at("cache_size"), 1);

  redis.stop();
  const Failure down = collect_failure(collector);
  EXPECT_EQ(down.message, "redis " + redis.address() + ": connection refused");
  EXPECT_EQ(collector.status(), "down: connection refused");
  EXPECT_EQ(collect_failure(collector).message, down.message) << "stays down, no crash on repeat";

  redis.start();
  RedisClient client(redis.port());
  client.call({"SET", "b", "2"});
  client.call({"SET", "c", "3"});
  client.call({"GET", "b"});
  const Values back = collect(collector);
  EXPECT_EQ(back.at("cache_size"), 2)
      << "a fresh redis-server, read by the same collector instance";
  EXPECT_EQ(back.at("cache_hits"), 1);
  EXPECT_EQ(collector.status(), "ok");
}

TEST(CacheRedisTest, RestartBetweenCollectionsIsInvisible) {
  RedisServer redis;
  PluginCollector collector(cache_plugin(), redis_config(redis.address()));
  EXPECT_EQ(collect(collector).at("cache_size"), 0);
  redis.stop();
  redis.start();
  RedisClient(redis.port()).call({"SET", "x", "1"});
  // The kept connection died with the old process; one retry on a fresh one reads the new one.
  EXPECT_EQ(collect(collector).at("cache_size"), 1);
}

TEST(CacheRedisTest, ReplyLateAfterATimeoutIsNeverTakenForTheNextOne) {
  RedisServer redis;
  RedisClient admin(redis.port());
  admin.call({"SET", "a", "1"});
  PluginCollector collector(cache_plugin(), redis_config(redis.address(), "", 300));
  EXPECT_EQ(collect(collector).at("cache_size"), 1);

  // Redis holds the collector's INFO and DBSIZE past its deadline and answers them later, on a
  // connection the collector must have dropped: the next collection reads the new state.
  ASSERT_EQ(admin.call({"CLIENT", "PAUSE", "500", "ALL"}), "OK");
  const Failure paused = collect_failure(collector);
  EXPECT_THAT(paused.message, HasSubstr("timeout after 240 ms"));
  // Given up at its deadline, not when Redis answers 500 ms later; room for a slow machine.
  EXPECT_LT(paused.took, milliseconds{450});
  // Past the 500 ms pause, Redis has sent its late answers to the dropped connection (a lower
  // bound on time: a slow machine only makes it longer).
  std::this_thread::sleep_for(milliseconds{400});
  ASSERT_EQ(admin.call({"SET", "b", "2"}), "OK");
  EXPECT_EQ(collect(collector).at("cache_size"), 2);
  EXPECT_EQ(collector.status(), "ok");
}

TEST(CacheRedisTest, RejectsBadOptionsNamingTheKey) {
  auto create_error = [](const std::string& json) { return test::create_error("cache", json); };
  EXPECT_THAT(create_error(R"({"source": "redis", "adress": "127.0.0.1:6379"})"),
              StartsWith("adress: unknown key"));
  EXPECT_THAT(create_error(R"({"source": "memcached"})"),
              StartsWith("source: expected one of redis, prometheus"));
  EXPECT_THAT(create_error(R"({"address": "localhost"})"),
              StartsWith("address: expected host:port"));
  EXPECT_THAT(create_error(R"({"address": "127.0.0.1:99999"})"),
              StartsWith("address: expected host:port"));
  EXPECT_THAT(create_error(R"({"address": ":6379"})"), HasSubstr("no host"));
  EXPECT_THAT(create_error(R"({"database": -1})"), StartsWith("database: "));
  EXPECT_THAT(create_error(R"({"database": "two"})"), StartsWith("database: expected a number"));
  EXPECT_THAT(create_error(R"({"user": "monitor"})"), StartsWith("password: missing"));
  EXPECT_EQ(create_error(R"({"source": "redis"})"), "") << "address defaults to 127.0.0.1:6379";
}

TEST(CacheRedisTest, MonitorKeepsOtherCollectorsCompleteWhileRedisIsDown) {
  RedisServer redis;
  const std::string yaml = "interval: 300ms\nwindow: 1m\nplugin_dir: " + test::plugin_build_dir() +
                           "\ncollectors:\n"
                           "  - {plugin: system}\n"
                           "  - {plugin: cache, name: redis, source: redis, address: \"" +
                           redis.address() + "\", timeout: 250ms}\n";
  Monitor monitor(parse_config(yaml, ConfigFormat::kYaml, "cache_test.yaml"));
  const SeriesLayout& layout = monitor.layout();
  const size_t redis_up = *layout.find(kCollectorUp, "redis");
  const size_t system_up = *layout.find(kCollectorUp, "system");
  const size_t size = *layout.find("cache_size", "redis");
  const size_t hits = *layout.find("cache_hits", "redis");
  const size_t redis_duration = *layout.find(kCollectorDuration, "redis");
  std::vector<size_t> system_columns;
  for (const char* m :
       {"host_memory_percent", "host_load1", "system_uptime", "process_rss_bytes"}) {
    system_columns.push_back(*layout.find(m, "system"));
  }

  std::mutex mutex;
  std::vector<int64_t> seen;
  monitor.add_listener([&](int64_t t) {
    std::lock_guard lock(mutex);
    seen.push_back(t);
  });
  auto wait_rows = [&](size_t n) {
    test::eventually([&] { return monitor.store().size() >= n; });
    ASSERT_GE(monitor.store().size(), n) << "the sampler fell behind";
  };

  monitor.start();
  wait_rows(3);
  const size_t up_rows = monitor.store().size();
  redis.stop();
  wait_rows(up_rows + 6);
  const size_t down_end = monitor.store().size();
  redis.start();
  // Backoff caps at 8 intervals (2.4 s); the series must come back without restarting anything.
  const bool back = test::eventually(
      [&] {
        const StoreSnapshot s = monitor.store().snapshot(1);
        return s.rows == 1 && s.at(redis_up, 0) == 1 && !std::isnan(s.at(size, 0));
      },
      test::kPatience, milliseconds{100});
  monitor.stop();
  EXPECT_TRUE(back) << "cache series did not come back after redis-server restarted";

  const StoreSnapshot s = monitor.store().snapshot();
  ASSERT_GE(s.rows, down_end);
  for (size_t row = 0; row < s.rows; ++row) {
    EXPECT_EQ(s.at(system_up, row), 1) << "row " << row;
    for (size_t c : system_columns)
      EXPECT_FALSE(std::isnan(s.at(c, row))) << layout.key(c).metric << " row " << row;
    EXPECT_EQ(s.timestamps_ms[row] % 300, 0) << "row " << row << " is off the sample grid";
    if (row > 0) {
      EXPECT_GT(s.timestamps_ms[row], s.timestamps_ms[row - 1]);
    }
    // The sampler never waited on the cache collector past its 250 ms deadline, whatever Redis
    // did; the margin is for thread wake-up on a loaded machine.
    const double waited = s.at(redis_duration, row);
    if (!std::isnan(waited)) {
      EXPECT_LT(waited, 400) << "row " << row;
    }
  }
  // Rows taken well after the stop (the first one may still have raced it) show the cache as down.
  size_t down_rows = 0;
  for (size_t row = up_rows + 1; row < down_end; ++row) {
    EXPECT_EQ(s.at(redis_up, row), 0) << "row " << row;
    EXPECT_TRUE(std::isnan(s.at(size, row))) << "row " << row;
    EXPECT_TRUE(std::isnan(s.at(hits, row))) << "row " << row;
    ++down_rows;
  }
  EXPECT_GE(down_rows, 4u);
  for (size_t row = 0; row < up_rows; ++row) EXPECT_EQ(s.at(redis_up, row), 1) << "row " << row;

  bool found = false;
  for (const CollectorHealth& h : monitor.sampler().health()) {
    if (h.name != "redis") continue;
    found = true;
    EXPECT_EQ(h.last_error, "redis " + redis.address() + ": connection refused");
    EXPECT_EQ(h.status, "ok") << "status after recovery";
  }
  EXPECT_TRUE(found);
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen.size(), s.rows) << "a listener call per sample";
}

}  // namespace
}  // namespace resync

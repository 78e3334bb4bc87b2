// SPDX-License-Identifier: MIT
// `resync-mon discover` and serve's discovery, the real binary against a real redis-server (with
// and without a password), a Resync stand-in (Prometheus text + /api/monitoring/current) and an
// access log, all on loopback. discover probes fixed ports; RESYNC_MON_DISCOVER points it at the
// test's free ports and files instead.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "../plugins/redis_server.hpp"
#include "run_cli.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using test::run_cli;
using testing::HasSubstr;
using testing::Not;

constexpr const char* kNginxLine =
    "127.0.0.1 - - [07/Dec/2026:16:00:00 +0000] \"GET /api/x HTTP/1.1\" 200 12 \"-\" \"curl\" "
    "0.042\n";

// The Resync stand-in on a free port; `silent` accepts and never answers.
class Standin {
 public:
  explicit Standin(bool silent = false) : port_(test::free_port()) {
    std::vector<std::string> argv{"/usr/bin/python3",
                                  std::string(RESYNC_SOURCE_DIR) + "/tests/cli/resync_standin.py",
                                  std::to_string(port_)};
    if (silent) argv.push_back("silent");
    process_ = std::make_unique<test::Process>(argv, dir_.file("standin.log"));
    if (!test::wait_for_port(port_))
      throw std::runtime_error("stand-in did not listen: " +
                               test::read_file(dir_.file("standin.log")));
  }
  uint16_t port() const { return port_; }

 private:
  uint16_t port_;
  test::TempDir dir_{"resync-standin"};
  std::unique_ptr<test::Process> process_;
};

std::string targets(uint16_t redis, uint16_t http, const std::string& log, uint16_t tws) {
  return "redis=" + std::to_string(redis) + ";http=" + std::to_string(http) + ";logs=" + log +
         ";tws=" + std::to_string(tws);
}

TEST(DiscoverCliTest, FindsRedisResyncAndAnAccessLogAndWritesAConfigThatChecks) {
  test::TempDir dir("resync-discover");
  test::RedisServer redis;
  Standin resync;
  test::write_file(dir.file("access.log"), std::string(kNginxLine) + kNginxLine);
  const std::string out = dir.file("found.yaml");
  const test::RunResult r =
      run_cli({"discover", "--write", out},
              {{"RESYNC_MON_DISCOVER",
                targets(redis.port(), resync.port(), dir.file("access.log"), test::free_port())}});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string yaml = test::read_file(out);
  const std::string url = "http://127.0.0.1:" + std::to_string(resync.port());
  EXPECT_THAT(yaml, HasSubstr("\n  - {plugin: cache, name: redis, source: redis, address: \"" +
                              redis.address() + "\"}\n"));
  EXPECT_THAT(yaml, HasSubstr("\n  - {plugin: api, name: api, source: prometheus, url: \"" + url +
                              "/metrics\"}\n"));
  EXPECT_THAT(yaml, HasSubstr("\n  - {plugin: agents, name: agents, source: json, url: \"" + url +
                              "/api/monitoring/current\"}\n"));
  EXPECT_THAT(yaml, HasSubstr("source: access_log, path: \"" + dir.file("access.log") +
                              "\", time_unit: s}"));
  EXPECT_THAT(yaml, Not(HasSubstr("plugin: tws")));  // nothing listens on its port

  const test::RunResult check = run_cli({"config", "check", out});
  EXPECT_EQ(check.code, 0) << check.err << "\n" << yaml;
}

TEST(DiscoverCliTest, RedisWithAPasswordIsListedCommentedOutWithWhatToSet) {
  test::RedisServer redis({"--requirepass", "s3cret"});
  const test::RunResult r = run_cli(
      {"discover"}, {{"RESYNC_MON_DISCOVER", targets(redis.port(), test::free_port(),
                                                     "/nonexistent.log", test::free_port())}});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(answers NOAUTH: it needs a password)"));
  EXPECT_THAT(r.out, HasSubstr("  # - {plugin: cache, name: redis, source: redis, address: \"" +
                               redis.address() + "\", password: \"${REDIS_PASSWORD}\"}\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("\n  - {plugin: cache")));
  EXPECT_THAT(r.out, Not(HasSubstr("s3cret")));
}

// Services that accept and never answer must not hold discovery past its 1 s bound.
TEST(DiscoverCliTest, HungServicesDoNotStretchDiscoveryPastOneSecond) {
  Standin hung(true);
  const auto started = std::chrono::steady_clock::now();
  const test::RunResult r =
      run_cli({"discover"}, {{"RESYNC_MON_DISCOVER",
                              targets(hung.port(), hung.port(), "/nonexistent.log", hung.port())}});
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("probed 127.0.0.1 in 10"));  // 1000-1099 ms: it waited to the bound
  EXPECT_THAT(r.out, HasSubstr("# Nothing else answered on loopback."));
  // Process start and exit included; far below what the probes' own timeouts would add up to.
  EXPECT_LT(took, 3s);
}

Poco::JSON::Object::Ptr health(const std::string& url) {
  const test::HttpResult r = test::http_get(url + "/api/monitoring/health");
  EXPECT_EQ(r.status, 200);
  return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
}

TEST(DiscoverCliTest, ServeOnTheEmbeddedDefaultEnablesWhatNeedsNoPasswordAndListsTheRest) {
  test::TempDir dir("resync-discover-serve");
  test::RedisServer redis;
  Standin resync;
  // A TLS engine stand-in is not needed to see the credentials path: a Redis with a password is.
  test::RedisServer locked({"--requirepass", "s3cret"});
  test::ServeProcess serve(
      "", dir.file("serve.log"),
      {{"RESYNC_MON_DISCOVER",
        "redis=" + std::to_string(redis.port()) + "," + std::to_string(locked.port()) + ";http=" +
            std::to_string(resync.port()) + ";logs=;tws=" + std::to_string(test::free_port())}});
  ASSERT_FALSE(serve.url().empty());
  const auto h = health(serve.url());
  const auto collectors = h->getObject("collectors");
  for (const char* name : {"system", "redis", "api", "agents"})
    EXPECT_TRUE(collectors->has(name)) << name;
  const auto discovery = h->getObject("discovery");
  ASSERT_TRUE(discovery);
  EXPECT_TRUE(discovery->getValue<bool>("ran"));
  EXPECT_EQ(discovery->getArray("enabled")->size(), 3u);
  const auto pending = discovery->getArray("needs_credentials");
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_THAT(pending->getObject(0)->getValue<std::string>("config"),
              HasSubstr("address: \"" + locked.address() + "\", password: \"${REDIS_PASSWORD}\""));
  // serve logs discovery just after its "dashboard at" line.
  std::string log;
  const auto logged = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < logged &&
         (log = test::read_file(dir.file("serve.log"))).find("needs credentials") ==
             std::string::npos)
    std::this_thread::sleep_for(20ms);
  EXPECT_THAT(log, HasSubstr("discovery: probed loopback in "));
  EXPECT_THAT(log,
              HasSubstr("enabled Prometheus text with http_requests_total at http://127.0.0.1:" +
                        std::to_string(resync.port()) + "/metrics"));
  EXPECT_THAT(log, HasSubstr("needs credentials: set REDIS_PASSWORD"));

  // The agents collector reads the stand-in's counters through its JSON source.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  double active = -1;
  while (std::chrono::steady_clock::now() < deadline && active != 3) {
    const test::HttpResult cur = test::http_get(serve.url() + "/api/monitoring/current");
    const auto doc = Poco::JSON::Parser().parse(cur.body).extract<Poco::JSON::Object::Ptr>();
    active = doc->getObject("agents")->getValue<double>("active");
    if (active != 3) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(active, 3);
}

TEST(DiscoverCliTest, AConfigFileWithCollectorsDiscoversNothingUnlessItSaysSo) {
  test::TempDir dir("resync-discover-off");
  test::RedisServer redis;
  const std::string env = "redis=" + std::to_string(redis.port()) + ";http=;logs=;tws=";
  const std::string base = "interval: 200ms\nplugin_dir: \"" + test::plugin_build_dir() +
                           "\"\ncollectors:\n  - plugin: system\n";
  test::write_file(dir.file("off.yaml"), base);
  test::write_file(dir.file("on.yaml"), base + "discover: true\n");
  {
    test::ServeProcess serve(dir.file("off.yaml"), dir.file("off.log"),
                             {{"RESYNC_MON_DISCOVER", env}});
    const auto h = health(serve.url());
    EXPECT_FALSE(h->getObject("collectors")->has("redis"));
    EXPECT_FALSE(h->has("discovery"));
  }
  test::ServeProcess serve(dir.file("on.yaml"), dir.file("on.log"), {{"RESYNC_MON_DISCOVER", env}});
  EXPECT_TRUE(health(serve.url())->getObject("collectors")->has("redis"));
}

}  // namespace
}  // namespace resync

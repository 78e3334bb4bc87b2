// SPDX-License-Identifier: MIT
// `resync-mon serve` with an isolated collector that crashes, as a user would see it: the server
// keeps answering, the health document says what happened, the collector comes back by itself,
// and no child outlives the server.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <thread>

#include "isolation_test_util.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;
using testing::StartsWith;

struct IsolatedServe {
  IsolatedServe()
      : mode(dir.file("mode")),
        log(dir.file("serve.log")),
        config(dir.file("resync.yaml")),
        process((write_config(), std::vector<std::string>{test::resync_binary(), "--config", config,
                                                          "serve", "--bind", "127.0.0.1:0"}),
                log) {
    static const std::regex kLine(R"(dashboard at http://127\.0\.0\.1:(\d+)/monitoring)");
    const auto deadline = std::chrono::steady_clock::now() + test::kPatience;
    std::smatch m;
    while (std::chrono::steady_clock::now() < deadline && process.running()) {
      const std::string text = std::filesystem::exists(log) ? test::read_file(log) : "";
      if (std::regex_search(text, m, kLine)) {
        port = static_cast<uint16_t>(std::stoi(m[1]));
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "resync-mon serve did not start; log:\n" << test::read_file(log);
  }

  void write_config() {
    test::write_file(mode, "ok");
    test::write_file(config, "interval: 500ms\nwindow: 1m\nplugin_dir: \"" RESYNC_FIXTURE_DIR
                             "\"\nisolation: process\ncollectors:\n"
                             "  - plugin: fixture\n    name: crashy\n    samples: 2\n"
                             "    garbage_fd: 3\n    mode_file: \"" +
                                 mode + "\"\n");
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }

  // collectors.crashy of /api/monitoring/health.
  Poco::JSON::Object::Ptr crashy_health() const {
    const test::HttpResult r = test::http_get(url("/api/monitoring/health"));
    EXPECT_EQ(r.status, 200);
    auto doc = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
    return doc->getObject("collectors")->getObject("crashy");
  }

  template <class Predicate>
  bool health_becomes(Predicate p, std::chrono::milliseconds timeout = test::kPatience) const {
    return test::eventually([&] { return p(*crashy_health()); }, timeout, 100ms);
  }

  test::TempDir dir;
  std::string mode, log, config;
  test::Process process;
  uint16_t port = 0;
};

TEST(IsolationServeTest, ASegfaultingPluginLeavesTheServerUpAndComesBackByItself) {
  IsolatedServe serve;
  ASSERT_NE(serve.port, 0);
  ASSERT_TRUE(
      serve.health_becomes([](const Poco::JSON::Object& h) { return h.getValue<bool>("up"); }));
  EXPECT_EQ(serve.crashy_health()->getValue<std::string>("isolation"), "process");
  const std::vector<pid_t> first_children = test::children_of(serve.process.pid());
  ASSERT_EQ(first_children.size(), 1u);

  test::write_file(serve.mode, "segv");
  ASSERT_TRUE(serve.health_becomes([](const Poco::JSON::Object& h) {
    return !h.getValue<bool>("up") &&
           h.getValue<std::string>("last_error").rfind("crashed: SIGSEGV", 0) == 0 &&
           h.getValue<uint64_t>("restarts") >= 1;
  })) << serve.crashy_health()->getValue<std::string>("last_error");
  // Still serving, with the collector's series reported down.
  EXPECT_EQ(test::http_get(serve.url("/health")).status, 200);
  EXPECT_EQ(test::http_get(serve.url("/api/monitoring/current")).status, 200);
  EXPECT_THAT(test::http_get(serve.url("/metrics")).body,
              HasSubstr("resync_mon_collector_up{collector=\"crashy\"} 0\n"));
  // The child's own fatal-signal handler names the collector in the server's log.
  EXPECT_THAT(test::read_file(serve.log),
              HasSubstr("resync-mon: fatal signal SIGSEGV in collector crashy"));
  EXPECT_TRUE(test::eventually_gone(first_children[0], test::kPatience));

  test::write_file(serve.mode, "ok");
  ASSERT_TRUE(serve.health_becomes(
      [](const Poco::JSON::Object& h) { return h.getValue<bool>("up"); }, 40s));
  const auto h = serve.crashy_health();
  EXPECT_GE(h->getValue<uint64_t>("restarts"), 2u);
  EXPECT_EQ(h->getValue<std::string>("status"), "ok");

  // SIGTERM ends the server and, in order, its children: none is left, not even as a zombie.
  const std::vector<pid_t> children = test::children_of(serve.process.pid());
  ASSERT_EQ(children.size(), 1u);
  EXPECT_EQ(serve.process.stop(5s), 0);
  EXPECT_FALSE(test::process_exists(children[0]));
}

TEST(IsolationServeTest, SigkillOfTheServerTakesItsChildrenWithIt) {
  IsolatedServe serve;
  ASSERT_NE(serve.port, 0);
  // Make the sampler restart the child once, so there is a child forked by a worker thread.
  test::write_file(serve.mode, "segv");
  ASSERT_TRUE(serve.health_becomes(
      [](const Poco::JSON::Object& h) { return h.getValue<uint64_t>("restarts") >= 1; }));
  test::write_file(serve.mode, "ok");
  ASSERT_TRUE(serve.health_becomes(
      [](const Poco::JSON::Object& h) { return h.getValue<bool>("up"); }, 40s));
  const std::vector<pid_t> children = test::children_of(serve.process.pid());
  ASSERT_EQ(children.size(), 1u);
  serve.process.signal(SIGKILL);
  EXPECT_TRUE(test::eventually_gone(children[0], test::kPatience));
}

}  // namespace
}  // namespace resync

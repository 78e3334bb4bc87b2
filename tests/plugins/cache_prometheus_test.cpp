// SPDX-License-Identifier: MIT
// The cache plugin's prometheus source through the real loader, against a Prometheus text
// endpoint that requires a bearer token.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <mutex>
#include <string>

#include "cache_fixtures.hpp"

namespace resync {
namespace {

using test::cache_plugin;
using test::collect_failure;
using test::Values;

using testing::HasSubstr;
using testing::StartsWith;

Values collect(PluginCollector& collector) { return test::collect_once(collector); }

// A Prometheus text endpoint whose body the test sets, requiring a bearer token.
class PromEndpoint {
 public:
  PromEndpoint() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)), pool_(1, 4, 1) {
    auto params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(false);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), pool_, socket_, params);
    server_->start();
  }
  ~PromEndpoint() {
    server_->stopAll(true);
    pool_.joinAll();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/metrics";
  }
  void set_body(std::string body) {
    std::lock_guard lock(mutex_);
    body_ = std::move(body);
  }

 private:
  class Handler final : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(PromEndpoint& e) : e_(e) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& res) override {
      if (req.get("Authorization", "") != "Bearer scrape-token") {
        res.setStatus(Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED);
        res.send() << "unauthorized\n";
        return;
      }
      std::lock_guard lock(e_.mutex_);
      res.setContentType("text/plain; version=0.0.4");
      res.send() << e_.body_;
    }

   private:
    PromEndpoint& e_;
  };
  class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(PromEndpoint& e) : e_(e) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(e_);
    }

   private:
    PromEndpoint& e_;
  };

  Poco::Net::ServerSocket socket_;
  Poco::ThreadPool pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mutex_;
  std::string body_;
};

TEST(CachePrometheusTest, ReadsAPrometheusEndpoint) {
  PromEndpoint endpoint;
  // Resync-style text: counters without _total on one instance, with _total on another shard,
  // no final newline.
  auto text = [](int hits, int misses) {
    return "# HELP resync_cache_hits Cache hits\n# TYPE resync_cache_hits counter\n"
           "resync_cache_hits{cache=\"a\"} " +
           std::to_string(hits - 10) +
           "\n"
           "resync_cache_hits{cache=\"b\"} 10\n"
           "# TYPE resync_cache_misses counter\nresync_cache_misses " +
           std::to_string(misses) +
           "\n"
           "# TYPE resync_cache_size gauge\nresync_cache_size 1234\n"
           "# TYPE resync_cache_evictions counter\nresync_cache_evictions_total 7";
  };
  endpoint.set_body(text(90, 10));
  auto config = [&endpoint](const std::string& extra) {
    return R"({"source": "prometheus", "url": ")" + endpoint.url() + R"(", "timeout_ms": 1000)" +
           extra + "}";
  };
  PluginCollector collector(cache_plugin(), config(R"(, "token": "scrape-token")"));
  const Values first = collect(collector);
  EXPECT_EQ(first.at("cache_hits"), 90);
  EXPECT_EQ(first.at("cache_misses"), 10);
  EXPECT_EQ(first.at("cache_size"), 1234);
  EXPECT_EQ(first.at("cache_evictions"), 7) << "found under its _total name";
  EXPECT_DOUBLE_EQ(first.at("cache_hit_ratio"), 90.0);

  endpoint.set_body(text(120, 40));  // +30 hits, +30 misses in the interval
  EXPECT_DOUBLE_EQ(collect(collector).at("cache_hit_ratio"), 50.0);

  endpoint.set_body(text(15, 5));  // the service restarted: counters began again
  const Values reset = collect(collector);
  EXPECT_DOUBLE_EQ(reset.at("cache_hit_ratio"), 75.0) << "a reset counts from zero, never negative";

  endpoint.set_body("# nothing about caches here\nup 1\n");
  EXPECT_THAT(collect_failure(collector).message, HasSubstr("none of resync_cache_hits"));

  PluginCollector no_token(cache_plugin(), config(""));
  EXPECT_THAT(collect_failure(no_token).message, HasSubstr("HTTP 401"));
  EXPECT_EQ(no_token.status(), "error: HTTP 401");

  PluginCollector renamed(
      cache_plugin(),
      config(R"(, "token": "scrape-token", "hits_metric": "up", "misses_metric": "nope")"));
  const Values r = collect(renamed);
  EXPECT_EQ(r.at("cache_hits"), 1);
  EXPECT_TRUE(std::isnan(r.at("cache_misses")));
}

TEST(CachePrometheusTest, RejectsBadOptionsNamingTheKey) {
  auto create_error = [](const std::string& json) { return test::create_error("cache", json); };
  EXPECT_THAT(create_error(R"({"source": "prometheus"})"), StartsWith("url: missing"));
  EXPECT_THAT(create_error(R"({"source": "prometheus", "url": "redis://x"})"),
              StartsWith("url: expected an http"));
  EXPECT_THAT(create_error(R"({"source": "prometheus", "url": "http://x", "address": "a:1"})"),
              StartsWith("address: unknown key"))
      << "redis keys are not accepted for the prometheus source";
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
// Issues 4 and 9's acceptance, tried as a user would: examples/resync.yaml pointed at real
// servers (a redis-server, a service instrumented with the official Prometheus Python client, the
// HCL Workload Automation stand-in over HTTPS and an Alertmanager), through the real binary.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "alertmanager.hpp"
#include "redis_server.hpp"
#include "test_support.hpp"
#include "tws_fixture.hpp"

namespace resync {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kPython = "/usr/bin/python3";

Object::Ptr parse_object(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Object::Ptr>();
}

double number(const Object::Ptr& o, const std::string& key) {
  if (!o->has(key) || o->isNull(key)) return std::nan("");
  return o->getValue<double>(key);
}

// stdout of `command`, and its exit code.
std::pair<std::string, int> run(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

// The example configuration with only its sample grid shortened, so a test takes seconds.
std::string example_config(const test::TempDir& dir, const std::string& interval) {
  std::string text = test::read_file(std::string(RESYNC_SOURCE_DIR) + "/examples/resync.yaml");
  const std::string from = "interval: 5s";
  const size_t at = text.find(from);
  if (at == std::string::npos)
    throw std::runtime_error("examples/resync.yaml has no 'interval: 5s' line");
  text.replace(at, from.size(), "interval: " + interval);
  const std::string path = dir.file("resync.yaml");
  test::write_file(path, text);
  return path;
}

// The servers of a Resync deployment, on free loopback ports, with the environment variables
// examples/resync.yaml reads pointing at them.
class Deployment {
 public:
  Deployment()
      : service_port_(test::free_port()),
        service_({kPython, std::string(RESYNC_SOURCE_DIR) + "/tests/e2e/resync_service.py",
                  std::to_string(service_port_)},
                 dir_.file("service.log")),
        pki_(test::make_test_pki(dir_.path())),
        tws_(pki_, "wauser", "tws-secret-pw") {
    if (!test::wait_for_port(service_port_)) {
      throw std::runtime_error(
          "the Python service did not start (is python3-prometheus-client installed?): " +
          test::read_file(dir_.file("service.log")));
    }
    setenv("RESYNC_URL", ("http://127.0.0.1:" + std::to_string(service_port_)).c_str(), 1);
    setenv("REDIS_ADDRESS", redis_.address().c_str(), 1);
    setenv("REDIS_PASSWORD", "", 1);
    setenv("TWS_URL", tws_.url().c_str(), 1);
    setenv("TWS_USER", "wauser", 1);
    setenv("TWS_PASSWORD", "tws-secret-pw", 1);
    setenv("TWS_CA_FILE", pki_.ca_cert.c_str(), 1);
    test::RedisClient client(redis_.port());
    for (int i = 0; i < 10; ++i) client.call({"SET", "key:" + std::to_string(i), "value"});
    http("/agents?active=7&created=12&failed=2&llm_requests=40&tokens=5000&llm_errors=3");
  }

  std::string http(const std::string& path) const {
    return test::http_get("http://127.0.0.1:" + std::to_string(service_port_) + path).body;
  }
  test::RedisServer& redis() { return redis_; }
  const test::TempDir& dir() const { return dir_; }

 private:
  test::TempDir dir_{"resync-e2e"};
  test::RedisServer redis_;
  uint16_t service_port_;
  test::Process service_;
  test::TestPki pki_;
  test::TwsFixture tws_;
};

// Steady traffic until destroyed: API requests whose durations cycle through 10, 20, ... 200 ms
// with every tenth answered 500, from four threads; and cache lookups, three hits per miss.
class Traffic {
 public:
  explicit Traffic(const Deployment& d, uint16_t redis_port) {
    for (int t = 0; t < 4; ++t) {
      threads_.emplace_back([this, &d, t] {
        for (int i = t; !stop_; i += 4) {
          const int ms = 10 * (i % 20 + 1);
          const int status = i % 10 == 9 ? 500 : 200;
          d.http("/work?ms=" + std::to_string(ms) + "&status=" + std::to_string(status));
          ++requests_;
        }
      });
    }
    threads_.emplace_back([this, redis_port] {
      test::RedisClient client(redis_port);
      for (int i = 0; !stop_; ++i) {
        client.call({"GET", i % 4 == 3 ? "missing" : "key:1"});
        if (i % 4 == 3) std::this_thread::sleep_for(milliseconds{2});
      }
    });
    started_ = std::chrono::steady_clock::now();
  }
  ~Traffic() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  double requests_per_second() const {
    return requests_ /
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<long> requests_{0};
  std::chrono::steady_clock::time_point started_;
  std::vector<std::thread> threads_;
};

// The examples work as is: every variable they use has a safe default, none needs setting.
TEST(EndToEndTest, ExampleConfigsAreValidAndAgree) {
  const std::string bin = test::resync_binary();
  const std::string examples = std::string(RESYNC_SOURCE_DIR) + "/examples/";
  for (const char* file : {"resync.yaml", "resync.toml", "nginx-redis.yaml"}) {
    const auto [out, code] = run(bin + " config check " + examples + file + " 2>&1");
    EXPECT_EQ(code, 0) << out;
    EXPECT_THAT(out, testing::HasSubstr(": ok;"));
  }
  // The TOML twin must describe the same deployment.
  const auto yaml = run(bin + " config check " + examples + "resync.yaml").first;
  const auto toml = run(bin + " config check " + examples + "resync.toml").first;
  EXPECT_EQ(yaml.substr(yaml.find(": ok;")), toml.substr(toml.find(": ok;")));
}

// `resync-mon current` on the example configuration reports what the traffic really was.
// Tolerances: requests/s within 20 % of the rate the traffic threads measured themselves
// (both count the same requests, over slightly different spans); error rate 10 % +- 3 points
// (exactly every tenth request fails; the interval cuts the cycle anywhere); p50/p95 within a
// bucket (10 ms) plus 15 ms of scheduling delay of the true 100-110 ms / 190-200 ms; hit ratio
// 75 % +- 3 points.
TEST(EndToEndTest, CurrentMatchesRealTraffic) {
  Deployment d;
  const std::string config = example_config(d.dir(), "3s");
  Traffic traffic(d, d.redis().port());
  const auto [out, code] = run(test::resync_binary() + " --config " + config + " current --json");
  const double sent_rate = traffic.requests_per_second();
  traffic.stop();
  ASSERT_EQ(code, 0) << out;
  const Object::Ptr doc = parse_object(out);

  const Object::Ptr api = doc->getObject("api");
  EXPECT_NEAR(number(api, "requests_per_sec"), sent_rate, 0.2 * sent_rate) << out;
  EXPECT_NEAR(number(api, "error_rate"), 10.0, 3.0) << out;
  EXPECT_GE(number(api, "response_time_p50"), 90.0) << out;
  EXPECT_LE(number(api, "response_time_p50"), 135.0) << out;
  EXPECT_GE(number(api, "response_time_p95"), 180.0) << out;
  EXPECT_LE(number(api, "response_time_p95"), 225.0) << out;
  EXPECT_GT(number(api, "requests_total"), 0);

  const Object::Ptr cache = doc->getObject("cache");
  EXPECT_NEAR(number(cache, "hit_ratio"), 75.0, 3.0) << out;
  EXPECT_EQ(number(cache, "size"), 10);

  const Object::Ptr agents = doc->getObject("agents");
  EXPECT_EQ(number(agents, "active"), 7);
  EXPECT_EQ(number(agents, "created_total"), 12);
  EXPECT_EQ(number(agents, "failed_total"), 2);
  const Object::Ptr llm = doc->getObject("llm");
  EXPECT_EQ(number(llm, "tokens_used"), 5000);

  const Object::Ptr tws = doc->getObject("tws");
  EXPECT_TRUE(tws->getValue<bool>("connected")) << out;
  EXPECT_GT(number(tws, "latency_ms"), 0);
  EXPECT_EQ(number(tws, "requests_success"), 2);
  const Object::Ptr jobs = tws->getObject("jobs");
  EXPECT_EQ(number(jobs, "error"), 7);
  EXPECT_EQ(number(jobs, "running"), 5);
  EXPECT_EQ(number(jobs, "waiting"), 15);
  EXPECT_EQ(number(jobs, "done"), 33);

  const Object::Ptr collectors = doc->getObject("collectors");
  for (const char* name : {"system", "api", "agents", "redis", "tws"}) {
    ASSERT_TRUE(collectors->has(name)) << name;
    EXPECT_TRUE(collectors->getObject(name)->getValue<bool>("up")) << name << ": " << out;
  }
  EXPECT_EQ(out.find("tws-secret-pw"), std::string::npos);
}

// Stopping redis-server under a running `resync-mon serve` empties the cache series and says
// why, while every other collector's samples stay complete and on the grid; restarting it brings
// the series back without restarting resync-mon.
TEST(EndToEndTest, RedisOutageIsIsolatedAndRecovers) {
  Deployment d;
  const std::string config = example_config(d.dir(), "1s");
  const uint16_t port = test::free_port();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  test::Process serve({test::resync_binary(), "--config", config, "serve", "--bind",
                       "127.0.0.1:" + std::to_string(port)},
                      d.dir().file("serve.log"));
  ASSERT_TRUE(test::wait_for_port(port)) << test::read_file(d.dir().file("serve.log"));

  auto redis_health = [&] {
    return parse_object(test::http_get(base + "/api/monitoring/health").body)
        ->getObject("collectors")
        ->getObject("redis");
  };
  // Polls every 200 ms; each limit is at least test::kPatience, for a slow machine.
  auto wait_until = [](auto condition, seconds limit) {
    return test::eventually(condition, std::max<std::chrono::milliseconds>(limit, test::kPatience),
                            milliseconds{200});
  };
  ASSERT_TRUE(wait_until([&] { return redis_health()->getValue<bool>("up"); }, seconds{10}));

  d.redis().stop();
  ASSERT_TRUE(wait_until([&] { return !redis_health()->getValue<bool>("up"); }, seconds{5}));
  EXPECT_EQ(redis_health()->getValue<std::string>("last_error"),
            "redis " + d.redis().address() + ": connection refused");
  // Samples during the outage: on consecutive grid seconds, cache empty, the rest complete. Wait
  // for four grid seconds past the sample that saw Redis down, however long the machine takes.
  auto recent = [&] {
    return parse_object(test::http_get(base + "/api/monitoring/history?minutes=1").body);
  };
  auto newest_epoch = [](const Object::Ptr& h) {
    const Array::Ptr e = h->getArray("epoch");
    return e->size() == 0 ? int64_t{0} : e->getElement<int64_t>(e->size() - 1);
  };
  const int64_t down_at = newest_epoch(recent());
  Object::Ptr history;
  ASSERT_TRUE(
      wait_until([&] { return newest_epoch(history = recent()) >= down_at + 4; }, seconds{30}));
  const Array::Ptr epoch = history->getArray("epoch");
  const Array::Ptr hit_ratio = history->getObject("cache")->getArray("hit_ratio");
  const Array::Ptr tws_latency = history->getObject("tws")->getArray("latency");
  const Array::Ptr api_rate = history->getObject("api")->getArray("requests_per_sec");
  const Array::Ptr cpu = history->getObject("host")->getArray("cpu_percent");
  const size_t rows = epoch->size();
  ASSERT_GE(rows, 6u);
  for (size_t r = rows - 4; r < rows; ++r) {
    EXPECT_EQ(epoch->getElement<int64_t>(r) - epoch->getElement<int64_t>(r - 1), 1) << "row " << r;
    EXPECT_TRUE(hit_ratio->isNull(r)) << "row " << r;
    EXPECT_FALSE(tws_latency->isNull(r)) << "row " << r;
    EXPECT_FALSE(api_rate->isNull(r)) << "row " << r;
    EXPECT_FALSE(cpu->isNull(r)) << "row " << r;
  }
  const Object::Ptr current = parse_object(test::http_get(base + "/api/monitoring/current").body);
  EXPECT_TRUE(current->getObject("cache")->isNull("hits"));
  EXPECT_EQ(current->getValue<std::string>("status"), "degraded");

  d.redis().start();
  // The collector backs off while failing (at most 8 intervals here), then reconnects by itself.
  ASSERT_TRUE(wait_until([&] { return redis_health()->getValue<bool>("up"); }, seconds{15}));
  const Object::Ptr after = parse_object(test::http_get(base + "/api/monitoring/current").body);
  EXPECT_FALSE(after->getObject("cache")->isNull("hits"));
  EXPECT_TRUE(serve.running());
}

// Issue 9's acceptance: the example configuration plus an Alertmanager notifier. Stopping Redis
// makes the default "collector down" rule pending at once and firing in a real Alertmanager after
// its minute; starting Redis again resolves it there (the alert leaves Alertmanager's list).
TEST(EndToEndTest, RedisOutageReachesAlertmanagerAndResolvesThere) {
  Deployment d;
  test::Alertmanager am;
  const std::string config = example_config(d.dir(), "1s");
  test::write_file(config, test::read_file(config) + "\nnotify:\n  alertmanager: {url: \"" +
                               am.url() + "\", resend: 5s}\n");
  const uint16_t port = test::free_port();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  test::Process serve({test::resync_binary(), "--config", config, "serve", "--bind",
                       "127.0.0.1:" + std::to_string(port)},
                      d.dir().file("serve.log"));
  ASSERT_TRUE(test::wait_for_port(port)) << test::read_file(d.dir().file("serve.log"));
  // Polls every 250 ms; each limit is at least test::kPatience, for a slow machine.
  auto wait_until = [](auto condition, seconds limit) {
    return test::eventually(condition, std::max<std::chrono::milliseconds>(limit, test::kPatience),
                            milliseconds{250});
  };
  // The state of the redis collector_up alert in /api/monitoring/alerts' `current`, or "".
  auto redis_down_state = [&]() -> std::string {
    const Array::Ptr current =
        parse_object(test::http_get(base + "/api/monitoring/alerts").body)->getArray("current");
    for (size_t i = 0; i < current->size(); ++i) {
      const Object::Ptr a = current->getObject(static_cast<unsigned>(i));
      if (a->getValue<std::string>("rule") == "collector_up" &&
          a->getValue<std::string>("instance") == "redis") {
        return a->getValue<std::string>("state");
      }
    }
    return "";
  };
  auto in_alertmanager = [&]() -> Object::Ptr {
    const auto alerts = Poco::JSON::Parser().parse(am.alerts_json()).extract<Array::Ptr>();
    for (size_t i = 0; i < alerts->size(); ++i) {
      const Object::Ptr labels = alerts->getObject(static_cast<unsigned>(i))->getObject("labels");
      if (labels->getValue<std::string>("alertname") == "collector_up" &&
          labels->getValue<std::string>("instance") == "redis") {
        return alerts->getObject(static_cast<unsigned>(i));
      }
    }
    return nullptr;
  };
  ASSERT_TRUE(
      wait_until([&] { return redis_down_state().empty() && !in_alertmanager(); }, seconds{10}));

  d.redis().stop();
  const auto stopped = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return redis_down_state() == "pending"; }, seconds{10}));
  EXPECT_FALSE(in_alertmanager()) << "a pending alert is none of Alertmanager's business";
  ASSERT_TRUE(wait_until([&] { return in_alertmanager() != nullptr; }, seconds{90})) << am.log();
  EXPECT_GE(std::chrono::steady_clock::now() - stopped, seconds{59});
  EXPECT_EQ(redis_down_state(), "firing");
  const Object::Ptr alert = in_alertmanager();
  EXPECT_EQ(alert->getObject("labels")->getValue<std::string>("severity"), "warning");
  EXPECT_EQ(alert->getObject("annotations")->getValue<std::string>("summary"),
            "collector_up [redis] is 0 (warning when == 0)");

  d.redis().start();
  EXPECT_TRUE(wait_until([&] { return !in_alertmanager(); }, seconds{30})) << am.log();
  EXPECT_EQ(redis_down_state(), "");
  const Object::Ptr notify = parse_object(test::http_get(base + "/api/monitoring/health").body)
                                 ->getObject("notify")
                                 ->getObject("alertmanager");
  EXPECT_EQ(notify->getValue<int>("failed"), 0);
  EXPECT_EQ(notify->getValue<int>("dropped"), 0);
  EXPECT_TRUE(serve.running());
}

}  // namespace
}  // namespace resync

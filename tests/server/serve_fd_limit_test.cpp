// SPDX-License-Identifier: MIT
// `resync-mon serve` out of file descriptors: started with a low RLIMIT_NOFILE and held
// connections until accept() fails with EMFILE, it keeps running, warns once, does not spin, and
// takes the connections that waited in the listen backlog once descriptors are free again.
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server_test_util.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using test::RawClient;
using test::ServeProcess;
using test::TempDir;
using Clock = std::chrono::steady_clock;

// Room for serve's own descriptors (10: stdio, epoll, eventfds, a pipe, the listen socket) and
// a few dozen connections; the per-client cap (1024) is far out of reach.
constexpr int kFdLimit = 96;
// More connections than serve can hold: the rest wait in the listen backlog (1024).
constexpr int kHeld = kFdLimit + 16;
const std::string kWarning = "HTTP: accept: Too many open files; retrying every 100 ms";
const std::string kRecovered = "HTTP: accepting connections again";

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// utime + stime of every thread of `pid`, from /proc/PID/stat (fields 14 and 15).
double cpu_seconds(pid_t pid) {
  const std::string stat = test::read_file("/proc/" + std::to_string(pid) + "/stat");
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long long ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i >= 14) ticks += std::stoll(field);
  }
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string health_request(uint16_t port) {
  return "GET /api/monitoring/health HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nConnection: close\r\n\r\n";
}

int status_of(const std::string& response) {
  return response.size() > 12 ? std::atoi(response.c_str() + 9) : 0;
}

std::vector<std::unique_ptr<RawClient>> hold_connections(uint16_t port) {
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < kHeld; ++i) {
    held.push_back(std::make_unique<RawClient>(port));
    EXPECT_TRUE(held.back()->connected()) << "connection " << i;
  }
  return held;
}

// Holds more connections than serve has descriptors for, waits for its one warning, then queues
// a /health request in the backlog behind at least 16 others, so it waits for the episode's end.
std::unique_ptr<RawClient> exhaust_and_queue(const ServeProcess& serve,
                                             std::vector<std::unique_ptr<RawClient>>& held) {
  held = hold_connections(serve.port);
  const auto log = [&] { return test::read_file(serve.log); };
  EXPECT_TRUE(test::eventually([&] { return count(log(), kWarning) == 1; })) << log();
  auto waiting = std::make_unique<RawClient>(serve.port);
  EXPECT_TRUE(waiting->connected());
  EXPECT_TRUE(waiting->send(health_request(serve.port)));
  return waiting;
}

// request_timeout is raised to 10m so that the test decides when descriptors come back, by
// closing its connections: the default 10 s would let the loop's deadline sweep close the idle
// connections it holds (the next test takes that path).
TEST(ServeFdLimitTest, OutOfDescriptorsWarnsOnceDoesNotSpinAndRecovers) {
  TempDir dir;
  ServeProcess serve(dir, test::serve_config(dir, "server:\n  request_timeout: 10m\n"), {},
                     kFdLimit);
  ASSERT_NE(serve.port, 0);
  const auto log = [&] { return test::read_file(serve.log); };
  std::vector<std::unique_ptr<RawClient>> held;
  const auto waiting = exhaust_and_queue(serve, held);
  ASSERT_FALSE(HasFailure()) << log();

  const double cpu_before = cpu_seconds(serve.process.pid());
  const auto started = Clock::now();
  std::this_thread::sleep_for(2s);
  const double cpu = cpu_seconds(serve.process.pid()) - cpu_before;
  const double wall = std::chrono::duration<double>(Clock::now() - started).count();
  // A loop spinning on a ready listen socket would use a whole core; retrying every 100 ms costs
  // next to nothing. A quarter of a core leaves room for the sampler and a loaded machine.
  EXPECT_LT(cpu, 0.25 * wall) << cpu << " s of CPU in " << wall << " s";
  // Clients coming and going at the limit: each close frees a descriptor that the next retry
  // spends on a connection from the backlog, and the one after fails again. Still one episode.
  for (int i = 0; i < 5; ++i) {
    held[static_cast<size_t>(i)].reset();
    std::this_thread::sleep_for(300ms);
  }
  EXPECT_EQ(waiting->read_response(500ms), "");
  EXPECT_TRUE(serve.process.running());
  EXPECT_EQ(count(log(), kWarning), 1) << log();
  EXPECT_EQ(count(log(), kRecovered), 0) << log();
  // Nothing came back on a held connection: no 429 from the per-client cap, no close by the
  // request deadline.
  for (auto& c : held) {
    if (!c) continue;
    EXPECT_EQ(c->read_until_close(1ms), "");
    EXPECT_FALSE(c->closed());
  }

  held.clear();
  const std::string answer = waiting->read_response(5s);
  EXPECT_EQ(status_of(answer), 200) << answer;
  const auto fresh = test::http_request("GET", serve.url("/api/monitoring/health"), {}, "", 5000ms);
  EXPECT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_TRUE(test::eventually([&] { return count(log(), kRecovered) == 1; })) << log();
  EXPECT_EQ(count(log(), kWarning), 1) << log();
  EXPECT_TRUE(serve.process.running());
}

// The way back without any client's help: the request deadline closes the idle connections the
// loop holds, which frees descriptors for those waiting in the backlog.
TEST(ServeFdLimitTest, RequestDeadlineFreesDescriptorsForTheBacklog) {
  TempDir dir;
  ServeProcess serve(dir, test::serve_config(dir, "server:\n  request_timeout: 2s\n"), {},
                     kFdLimit);
  ASSERT_NE(serve.port, 0);
  const auto log = [&] { return test::read_file(serve.log); };
  std::vector<std::unique_ptr<RawClient>> held;
  const auto waiting = exhaust_and_queue(serve, held);
  ASSERT_FALSE(HasFailure()) << log();

  const std::string answer = waiting->read_response(15s);
  EXPECT_EQ(status_of(answer), 200) << answer;
  EXPECT_TRUE(test::eventually([&] { return count(log(), kRecovered) == 1; })) << log();
  // Every held connection, accepted at first or from the backlog, is closed without a word.
  for (auto& c : held) {
    EXPECT_EQ(c->read_until_close(15s), "");
    EXPECT_TRUE(c->closed());
  }
  EXPECT_EQ(test::http_request("GET", serve.url("/api/monitoring/health"), {}, "", 5000ms).status,
            200);
  EXPECT_EQ(count(log(), kWarning), 1) << log();
  EXPECT_EQ(count(log(), kRecovered), 1) << log();
  EXPECT_TRUE(serve.process.running());
}

}  // namespace
}  // namespace resync

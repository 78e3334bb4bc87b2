// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http_targets.hpp"
#include "plugin_host.hpp"
#include "resync/error.hpp"

/// What the cache plugin's tests share: loading the plugin, a failed collection, a Redis
/// config, and a fake Redis that misbehaves on purpose.
namespace resync::test {

inline std::shared_ptr<const Plugin> cache_plugin() { return load_built_plugin("cache"); }

/// The CollectError message of a collection expected to fail, and how long it took.
struct Failure {
  std::string message;
  std::chrono::milliseconds took{0};
};

inline Failure collect_failure(PluginCollector& collector) {
  Values v;
  const auto started = std::chrono::steady_clock::now();
  try {
    collector.collect(v);
  } catch (const CollectError& e) {
    return {e.what(), std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)};
  }
  ADD_FAILURE() << "collect() succeeded, expected a failure";
  return {};
}

inline std::string redis_config(const std::string& address, const std::string& extra = "",
                                int timeout_ms = 1000) {
  return R"({"source": "redis", "address": ")" + address + R"(", "timeout_ms": )" +
         std::to_string(timeout_ms) + (extra.empty() ? "" : ", " + extra) + "}";
}

/// A TCP server on 127.0.0.1 that waits for each connection's first bytes, as Redis does, then
/// sends `answer` (all at once, or one byte per `byte_gap`) and then holds the connection open
/// (a silent server when `answer` is empty) or closes it.
class FakeRedis {
 public:
  enum class Then { kHold, kClose };

  explicit FakeRedis(std::string answer, Then then = Then::kHold,
                     std::chrono::milliseconds byte_gap = std::chrono::milliseconds{0})
      : server_(Poco::Net::SocketAddress("127.0.0.1", 0)),
        answer_(std::move(answer)),
        then_(then),
        byte_gap_(byte_gap) {
    thread_ = std::thread([this] { run(); });
  }
  ~FakeRedis() {
    stop_ = true;
    thread_.join();
  }
  FakeRedis(const FakeRedis&) = delete;
  FakeRedis& operator=(const FakeRedis&) = delete;

  std::string address() const { return "127.0.0.1:" + std::to_string(server_.address().port()); }

 private:
  void run() {
    std::vector<Poco::Net::StreamSocket> held;
    while (!stop_) {
      if (!server_.poll(Poco::Timespan(0, 20'000), Poco::Net::Socket::SELECT_READ)) continue;
      Poco::Net::StreamSocket client = server_.acceptConnection();
      if (!answer_.empty()) {
        char buf[1024];
        client.setReceiveTimeout(Poco::Timespan(2, 0));
        try {
          client.receiveBytes(buf, sizeof buf);
          send(client);
        } catch (const Poco::Exception&) {
        }
      }
      if (then_ == Then::kClose) {
        client.close();
      } else {
        held.push_back(client);
      }
    }
  }

  // MSG_NOSIGNAL: the collector hangs up on bad replies, and a SIGPIPE would end the test binary.
  void send(Poco::Net::StreamSocket& client) {
    const size_t step = byte_gap_.count() > 0 ? 1 : answer_.size();
    for (size_t at = 0; at < answer_.size() && !stop_; at += step) {
      const int n = static_cast<int>(std::min(step, answer_.size() - at));
      if (client.sendBytes(answer_.data() + at, n, MSG_NOSIGNAL) != n) return;
      if (byte_gap_.count() > 0) std::this_thread::sleep_for(byte_gap_);
    }
  }

  Poco::Net::ServerSocket server_;
  std::string answer_;
  Then then_;
  std::chrono::milliseconds byte_gap_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace resync::test

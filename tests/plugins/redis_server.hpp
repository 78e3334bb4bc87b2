// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

/// A real redis-server for tests, and a minimal RESP client to send it traffic.
namespace resync::test {

// A redis-server of the Debian package on 127.0.0.1:`port`, without persistence.
class RedisServer {
 public:
  explicit RedisServer(std::vector<std::string> extra_args = {}, uint16_t port = 0)
      : port_(port ? port : free_port()), extra_(std::move(extra_args)) {
    start();
  }

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  void start() {
    if (!find_program("redis-server")) {
      throw std::runtime_error(
          "redis-server not found in PATH; install it with scripts/deps --test");
    }
    std::vector<std::string> argv{
        "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
        "--save",       "",       "--appendonly",        "no",     "--dir",
        dir_.path()};
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    process_ = std::make_unique<Process>(argv, dir_.file("redis.log"));
    if (!wait_for_port(port_, std::chrono::seconds{10})) {
      throw std::runtime_error("redis-server did not listen on port " + std::to_string(port_) +
                               "; log: " + read_file(dir_.file("redis.log")));
    }
  }
  void stop() { process_.reset(); }

 private:
  uint16_t port_;
  std::vector<std::string> extra_;
  TempDir dir_{"resync-redis"};
  std::unique_ptr<Process> process_;
};

// Just enough of a RESP client to make traffic and to check what the collector reports.
class RedisClient {
 public:
  explicit RedisClient(uint16_t port) : socket_(Poco::Net::SocketAddress("127.0.0.1", port)) {
    socket_.setReceiveTimeout(Poco::Timespan(5, 0));
  }

  /// Sends one command; returns the reply as text ("OK", "42", the bulk string, "(nil)"), or
  /// "-ERR ..." for an error reply.
  std::string call(const std::vector<std::string>& args) {
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    socket_.sendBytes(out.data(), static_cast<int>(out.size()));
    const std::string line = read_line();
    switch (line.at(0)) {
      case '+':
      case ':':
        return line.substr(1);
      case '-':
        return line;
      case '$': {
        const long n = std::stol(line.substr(1));
        if (n < 0) return "(nil)";
        while (buffer_.size() < static_cast<size_t>(n) + 2) fill();
        std::string s = buffer_.substr(0, static_cast<size_t>(n));
        buffer_.erase(0, static_cast<size_t>(n) + 2);
        return s;
      }
      default:
        throw std::runtime_error("unexpected reply " + line);
    }
  }
  long long integer(const std::vector<std::string>& args) { return std::stoll(call(args)); }

 private:
  void fill() {
    char chunk[4096];
    const int n = socket_.receiveBytes(chunk, sizeof chunk);
    if (n <= 0) throw std::runtime_error("redis closed the test connection");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  std::string read_line() {
    size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) fill();
    std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return line;
  }

  Poco::Net::StreamSocket socket_;
  std::string buffer_;
};

}  // namespace resync::test

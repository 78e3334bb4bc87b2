// SPDX-License-Identifier: MIT
#include "server_test_util.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <Poco/InflatingStream.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "test_support.hpp"

namespace resync::test {

Config test_config(const std::string& interval, const std::string& window,
                   const std::string& extra) {
  const std::string text = "interval: " + interval + "\nwindow: " + window + "\nplugin_dir: \"" +
                           plugin_build_dir() + "\"\ncollectors:\n  - plugin: system\n" + extra;
  return parse_config(text, ConfigFormat::kYaml, "test.yaml");
}

namespace {
server::HttpServerOptions on_loopback(server::HttpServerOptions options) {
  if (options.bind == server::HttpServerOptions{}.bind) options.bind = "127.0.0.1:0";
  return options;
}
}  // namespace

TestServer::TestServer(Config config, server::HttpServerOptions options)
    : monitor(std::move(config)), http(monitor, on_loopback(std::move(options))) {}

TestServer::~TestServer() {
  monitor.stop();
  http.stop();
}

void TestServer::start(bool sample) {
  http.start();
  if (sample) monitor.start();
}

std::string TestServer::url(const std::string& path) const { return http.base_url() + path; }

void prefill(Monitor& monitor, int64_t count) {
  const int64_t interval = monitor.config().interval.count();
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t newest = now / interval * interval;
  for (int64_t k = count; k >= 1; --k) monitor.sample_now(newest - k * interval);
}

std::string header(const HttpResult& r, const std::string& name) {
  const auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

void expect_json_error(const HttpResult& r, int status, const std::string& fragment) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(header(r, "content-type"), "application/json");
  auto doc = parse_object(r.body);
  EXPECT_EQ(doc->getValue<int>("status"), status);
  EXPECT_THAT(doc->getValue<std::string>("error"), testing::HasSubstr(fragment));
}

std::string gunzip(const std::string& bytes) {
  std::istringstream in(bytes);
  Poco::InflatingInputStream inflater(in, Poco::InflatingStreamBuf::STREAM_GZIP);
  std::string out;
  Poco::StreamCopier::copyToString(inflater, out);
  return out;
}

Poco::JSON::Object::Ptr parse_object(const std::string& json) {
  Poco::JSON::Parser parser;
  return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

void expect_keys(const Poco::JSON::Object::Ptr& object, const std::vector<std::string>& keys,
                 const std::string& where) {
  ASSERT_TRUE(object) << where << " is not an object";
  for (const std::string& k : keys)
    EXPECT_TRUE(object->has(k)) << where << "." << k << " is missing";
}

double number_at(const std::string& json, const std::string& object, const std::string& key) {
  auto root = parse_object(json);
  auto inner = object.empty() ? root : root->getObject(object);
  return inner->getValue<double>(key);
}

WsClient::WsClient(uint16_t port, const std::vector<std::pair<std::string, std::string>>& headers)
    : session("127.0.0.1", port) {
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/api/monitoring/ws",
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) request.set(k, v);
  Poco::Net::HTTPResponse response;
  socket = std::make_unique<Poco::Net::WebSocket>(session, request, response);
}

std::optional<WsClient::Frame> WsClient::receive(std::chrono::milliseconds timeout,
                                                 bool answer_pings) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    socket->setReceiveTimeout(Poco::Timespan(left.count()));
    Poco::Buffer<char> buffer(0);
    Frame frame;
    try {
      socket->receiveFrame(buffer, frame.flags);
    } catch (const Poco::TimeoutException&) {
      return std::nullopt;
    }
    frame.payload.assign(buffer.begin(), buffer.size());
    if (answer_pings && frame.opcode() == Poco::Net::WebSocket::FRAME_OP_PING) {
      socket->sendFrame(frame.payload.data(), static_cast<int>(frame.payload.size()),
                        Poco::Net::WebSocket::FRAME_FLAG_FIN | Poco::Net::WebSocket::FRAME_OP_PONG);
      continue;
    }
    return frame;
  }
}

namespace {

int connect_loopback(uint16_t port, int receive_buffer) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  // Set before connect() so the advertised window is small from the start.
  if (receive_buffer > 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("connect failed");
  }
  return fd;
}

void send_all(int fd, const std::string& data) {
  if (send(fd, data.data(), data.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(data.size())) {
    throw std::runtime_error("send failed");
  }
}

// The response head, read byte by byte so that nothing after it is consumed.
std::string read_head(int fd) {
  std::string head;
  char c;
  while (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) {
    if (recv(fd, &c, 1, 0) != 1) throw std::runtime_error("connection closed after: " + head);
    head += c;
  }
  return head;
}

}  // namespace

std::string upgrade_request(uint16_t port, const std::string& extra) {
  return "GET /api/monitoring/ws HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
         extra + "\r\n";
}

std::vector<RawHttpResult> raw_http(uint16_t port, const std::string& requests, size_t responses) {
  const int fd = connect_loopback(port, 0);
  std::vector<RawHttpResult> results;
  try {
    send_all(fd, requests);
    while (results.size() < responses) {
      RawHttpResult result;
      const std::string head = read_head(fd);
      result.status = std::stoi(head.substr(9, 3));
      size_t length = 0;
      const size_t at = head.find("Content-Length: ");
      if (at != std::string::npos) length = std::stoul(head.substr(at + 16));
      result.body.resize(length);
      size_t got = 0;
      while (got < length) {
        const ssize_t n = recv(fd, result.body.data() + got, length - got, 0);
        if (n <= 0) break;
        got += static_cast<size_t>(n);
      }
      result.body.resize(got);
      results.push_back(std::move(result));
    }
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);
  return results;
}

RawHttpResult raw_http(uint16_t port, const std::string& request) {
  return raw_http(port, request, 1).front();
}

RawWsClient::RawWsClient(uint16_t port, int receive_buffer)
    : fd_(connect_loopback(port, receive_buffer)) {
  send_all(fd_, upgrade_request(port));
  const std::string head = read_head(fd_);
  if (head.rfind("HTTP/1.1 101", 0) != 0) throw std::runtime_error("handshake refused: " + head);
}

RawWsClient::~RawWsClient() {
  if (fd_ >= 0) close(fd_);
}

bool RawWsClient::closed_by_server() {
  char buf[65536];
  for (;;) {
    const ssize_t n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) continue;
    if (n == 0) return true;
    return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

RawClient::RawClient(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawClient::send(const std::string& s) {
  return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
}

std::string RawClient::read_until_close(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  std::string out;
  const auto deadline = Clock::now() + timeout;
  char buf[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left.count()))) <= 0) continue;
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string RawClient::read_response(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  std::string out;
  const auto deadline = Clock::now() + timeout;
  char buf[4096];
  while (Clock::now() < deadline) {
    const size_t head = out.find("\r\n\r\n");
    if (head != std::string::npos) {
      const size_t cl = out.find("Content-Length: ");
      if (cl != std::string::npos && cl < head &&
          out.size() >= head + 4 + std::stoul(out.substr(cl + 16)))
        return out;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10) <= 0) continue;
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void RawClient::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

std::string serve_config(const TempDir& dir, const std::string& server_yaml) {
  const std::string path = dir.file("resync.yaml");
  write_file(path, "interval: 200ms\nwindow: 1m\nplugin_dir: \"" + plugin_build_dir() +
                       "\"\ncollectors:\n  - plugin: system\n" + server_yaml);
  return path;
}

namespace {
std::vector<std::string> serve_argv(const std::string& config, int fd_limit) {
  std::vector<std::string> argv{resync_binary(), "--config", config,
                                "serve",         "--bind",   "127.0.0.1:0"};
  // exec keeps the PID, so the test still stops and inspects the server itself.
  if (fd_limit > 0)
    argv.insert(argv.begin(),
                {"/bin/sh", "-c", "ulimit -n \"$0\" && exec \"$@\"", std::to_string(fd_limit)});
  return argv;
}
}  // namespace

ServeProcess::ServeProcess(const TempDir& dir, const std::string& config,
                           const std::map<std::string, std::string>& env, int fd_limit)
    : log(dir.file("serve.log")), process(serve_argv(config, fd_limit), log, env) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  static const std::regex kLine(R"(dashboard at http://127\.0\.0\.1:(\d+)/monitoring)");
  std::smatch m;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = std::filesystem::exists(log) ? read_file(log) : "";
    if (std::regex_search(text, m, kLine)) {
      port = static_cast<uint16_t>(std::stoi(m[1]));
      return;
    }
    if (!process.running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  ADD_FAILURE() << "resync-mon serve did not print its URL; log:\n" << read_file(log);
}

std::string ServeProcess::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

}  // namespace resync::test

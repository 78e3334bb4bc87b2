// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/WebSocket.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "resync/config.hpp"
#include "resync/monitor.hpp"
#include "resync/server/http_server.hpp"
#include "test_support.hpp"

/// Helpers shared by the server tests: an in-process server over a real Monitor (real `system`
/// plugin, real sockets on 127.0.0.1), WebSocket clients and JSON access.
namespace resync::test {

/// A configuration of the `system` collector from the build tree; `extra` is appended YAML.
Config test_config(const std::string& interval, const std::string& window,
                   const std::string& extra = "");

/// A Monitor plus an HttpServer bound to 127.0.0.1:0. Neither is started by the constructor.
struct TestServer {
  explicit TestServer(Config config, server::HttpServerOptions options = {});
  ~TestServer();
  /// Starts the server, then (when `sample`) the monitor's sampler.
  void start(bool sample = true);
  std::string url(const std::string& path) const;

  Monitor monitor;
  server::HttpServer http;
};

/// Real samples stamped on the `count` grid points before now, oldest first (monitor not started).
void prefill(Monitor& monitor, int64_t count);

/// Checks a JSON error answer: `status`, Content-Type and a message containing `fragment`.
void expect_json_error(const HttpResult& r, int status, const std::string& fragment);
/// A response header (lower-case name) or "".
std::string header(const HttpResult& r, const std::string& name);
/// `bytes` gunzipped with Poco's inflater (not the server's code).
std::string gunzip(const std::string& bytes);

Poco::JSON::Object::Ptr parse_object(const std::string& json);
/// Fails the current test (ADD_FAILURE) naming `where.key` for each key missing from `object`.
void expect_keys(const Poco::JSON::Object::Ptr& object, const std::vector<std::string>& keys,
                 const std::string& where);

/// A WebSocket client on Poco's client implementation (answers nothing by itself).
struct WsClient {
  /// Connects to ws://127.0.0.1:port/api/monitoring/ws with optional extra request headers.
  explicit WsClient(uint16_t port,
                    const std::vector<std::pair<std::string, std::string>>& headers = {});
  /// Next frame's payload and flags; nullopt on timeout. PINGs are answered and skipped when
  /// `answer_pings`.
  struct Frame {
    std::string payload;
    int flags = 0;
    int opcode() const { return flags & Poco::Net::WebSocket::FRAME_OP_BITMASK; }
  };
  std::optional<Frame> receive(std::chrono::milliseconds timeout, bool answer_pings = true);

  Poco::Net::HTTPClientSession session;
  std::unique_ptr<Poco::Net::WebSocket> socket;
};

/// A WebSocket client on a raw socket with a tiny receive buffer, for clients that never read.
/// Throws std::runtime_error if the handshake does not answer 101.
class RawWsClient {
 public:
  explicit RawWsClient(uint16_t port, int receive_buffer = 0);
  ~RawWsClient();
  int fd() const { return fd_; }
  /// True once the server closed the connection (EOF or reset on a non-blocking read, after
  /// draining whatever arrived).
  bool closed_by_server();

 private:
  int fd_ = -1;
};

/// Sends `request` (a whole HTTP/1.1 request head) on a fresh connection and returns the status
/// and the body of the answer, read up to its Content-Length. For requests Poco's client would
/// rewrite (its Connection header always follows keep-alive).
struct RawHttpResult {
  int status = 0;
  std::string body;
};
RawHttpResult raw_http(uint16_t port, const std::string& request);
/// Sends `requests` (several request heads at once: pipelining) and reads `responses` answers.
std::vector<RawHttpResult> raw_http(uint16_t port, const std::string& requests, size_t responses);
/// A WebSocket upgrade request head for /api/monitoring/ws with `extra` header lines.
std::string upgrade_request(uint16_t port, const std::string& extra = "");

/// A value of /current as a number (for correlation_ids and similar).
double number_at(const std::string& json, const std::string& object, const std::string& key);

/// A raw client socket on 127.0.0.1:port, for connections that send part of a request, or
/// nothing. connected() is false when socket() or connect() failed.
class RawClient {
 public:
  explicit RawClient(uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  bool send(const std::string& s);
  /// Everything received until the server closes or `timeout` passes.
  std::string read_until_close(std::chrono::milliseconds timeout);
  /// One response, head and Content-Length body, or what came within `timeout`.
  std::string read_response(std::chrono::milliseconds timeout);
  bool closed() const { return closed_; }
  void shutdown_write();

 private:
  int fd_;
  bool connected_ = false, closed_ = false;
};

/// A resync.yaml in `dir` with the built `system` plugin (200ms interval); `server_yaml` is
/// appended. Returns its path.
std::string serve_config(const TempDir& dir, const std::string& server_yaml = "");

/// `resync-mon --config config serve --bind 127.0.0.1:0` as a real process, its output in
/// dir/serve.log. The port is read back from the one line it prints, so no other process can take
/// it in between; port stays 0 (and the test has failed) when it prints none within kPatience.
/// `fd_limit` > 0 starts it with that RLIMIT_NOFILE, soft and hard (by `ulimit -n`, then exec).
struct ServeProcess {
  ServeProcess(const TempDir& dir, const std::string& config,
               const std::map<std::string, std::string>& env = {}, int fd_limit = 0);
  std::string url(const std::string& path) const;

  std::string log;
  Process process;
  uint16_t port = 0;
};

}  // namespace resync::test

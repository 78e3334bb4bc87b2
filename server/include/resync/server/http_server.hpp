// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "resync/config.hpp"
#include "resync/monitor.hpp"

namespace resync::server {

/// Policies and limits of HttpServer. from_config() takes the `server:` section; the rest are
/// defaults an operator rarely needs to change (tests shorten the WebSocket timers).
struct HttpServerOptions {
  std::string bind = "127.0.0.1:9882";  ///< HOST:PORT; port 0 picks a free port
  ServerPolicies policies;              ///< auth, Host, CORS and WebSocket Origin checks
  size_t max_ws_clients = 1024;         ///< 0 refuses every WebSocket
  /// Threads that render documents for the connection loop (started on demand, ended when
  /// idle); 0 = one per core.
  size_t threads = 0;
  /// Event loops, each on its own thread; 0 = one per core.
  size_t loops = 0;

  size_t max_uri_length = 4096;     ///< longer request targets get 414
  size_t max_header_bytes = 16384;  ///< larger request headers (names + values) get 431
  size_t max_body_bytes = 65536;    ///< larger request bodies get 413
  /// Open connections per client address; more are refused with 429; 0 = no cap.
  size_t max_connections_per_client = 1024;
  /// A request's head and body must arrive within this, from its first byte (new connections:
  /// from accept), or the connection gets 408 and is closed.
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds keep_alive_timeout{5000};  ///< idle time between requests

  std::chrono::milliseconds ws_ping_interval{20000};  ///< a client silent this long is pinged
  std::chrono::milliseconds ws_idle_timeout{60000};   ///< a client silent this long is dropped
  size_t ws_max_queued_frames = 8;   ///< frames waiting for a client; one more drops it
  int ws_send_buffer_bytes = 65536;  ///< kernel send buffer of each WebSocket (SO_SNDBUF)

  /// PEM certificate (chain) and key: HTTPS and wss on the bind address; both "" = plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;

  /// Copies bind, the policies, max_ws_clients, threads, max_connections_per_client,
  /// request_timeout and the TLS files.
  static HttpServerOptions from_config(const ServerConfig& config);
};

/// HOST and PORT of a "HOST:PORT" bind address ("[::1]:8000" for IPv6).
struct BindAddress {
  std::string host;
  uint16_t port = 0;
};
/// Throws ConfigError naming `what` (e.g. "--bind") when `text` is not HOST:PORT.
BindAddress parse_bind(std::string_view text, std::string_view what = "server.bind");

/// "" when `cert_file` and `key_file` load as a server certificate and its key (PEM, unencrypted),
/// else why not, naming the key: "server.tls.cert_file: cannot read \"x.pem\": No such file or
/// directory", or "server.tls.key_file: ... does not match the certificate in ...".
std::string check_tls_files(const std::string& cert_file, const std::string& key_file);

/// `resync-mon serve`'s HTTP and WebSocket server (SPEC section 7) over a Monitor.
///
/// One event loop per core accepts connections (each goes to the loop holding the fewest), parses
/// requests with its own head scanner, applies the policies (size, Host, CORS, auth, WebSocket
/// Origin) and writes every ready answer itself with non-blocking writev: /api/monitoring/current,
/// /history (whole window) and /metrics are rendered lazily, by a small render pool, once per
/// sample for all requests that ask meanwhile, and served as shared immutable bytes,
/// gzip-compressed on demand, with a strong ETag that If-None-Match turns into a 304;
/// /history?minutes=N for a partial window and the HTML report are rendered on the pool per
/// request. WebSocket clients stay on their loop, which writes them each push's frame; /current is
/// rendered for them only while there are any. A server nobody asks renders nothing
/// (docs/operations.md, "Connections"). With tls_cert_file every connection, WebSockets included,
/// speaks TLS through OpenSSL on the same loops; OpenSSL comes with the TLS module, loaded then
/// (resync/tls/module.hpp; docs/operations.md, "TLS").
///
/// Thread-safe: start()/stop() from the owning thread; the accessors from any thread.
class HttpServer {
 public:
  /// Registers a listener on `monitor`, so construct it before monitor.start(). The listener
  /// keeps the server's shared state alive, so the server may be destroyed before the monitor.
  HttpServer(Monitor& monitor, HttpServerOptions options);
  /// Calls stop().
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds and starts accepting; renders nothing. Throws BindError ("cannot bind 127.0.0.1:9882:
  /// address already in use") and ConfigError for a malformed bind address or TLS files that do
  /// not load (as check_tls_files()).
  void start();
  /// Sends CLOSE (1001) to every WebSocket client, closes the listening socket (new clients are
  /// refused), aborts open connections and joins every thread. Idempotent.
  void stop();

  /// Applies the per-request policies of a reloaded `server:` section (ServerPolicies: auth,
  /// allowed_origins, allowed_hosts, cors_origins) to the requests that follow. WebSockets
  /// already upgraded stay; the other settings need a restart. Any thread.
  void apply_policies(const ServerConfig& config);
  /// The bound port (the real one when 0 was asked for); 0 before start().
  uint16_t port() const;
  /// "http://HOST:PORT", HOST as bound ("https://" with TLS).
  std::string base_url() const;
  /// Whether the server speaks TLS (tls_cert_file was given).
  bool tls() const;
  /// Reads the certificate and key again (after a renewal), from the same files or from new ones
  /// (a reloaded configuration), and gives the new ones to connections accepted from now on;
  /// open connections keep theirs. Returns "" on success, else the error (as check_tls_files())
  /// and the server keeps the certificate it had. TLS cannot be turned on or off here (files
  /// given to a plain server, or none to a TLS one, are an error): that needs a restart.
  std::string reload_tls();
  std::string reload_tls(const std::string& cert_file, const std::string& key_file);
  /// HTTP connections open now (waiting for a request or being answered; not WebSockets).
  size_t connections() const;
  /// Connections (WebSockets included) each event loop holds or is about to take, in loop order.
  std::vector<size_t> connections_per_loop() const;
  /// WebSocket clients connected now.
  size_t websocket_clients() const;
  /// WebSocket clients dropped because their send queue overflowed or they went silent.
  uint64_t websocket_clients_dropped() const;
  /// Documents rendered so far (cached, per-request and WebSocket pushes alike).
  uint64_t documents_rendered() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace resync::server

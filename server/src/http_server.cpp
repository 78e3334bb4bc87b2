// SPDX-License-Identifier: MIT
// HttpServer's lifecycle: binding, the worker pool, start and stop. Requests are answered by the
// Router, documents come from the DocumentCache, WebSockets live in the WsBroadcaster.
#include "resync/server/http_server.hpp"

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetException.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <cctype>
#include <cstring>
#include <mutex>

#include "document_cache.hpp"
#include "listen_socket.hpp"
#include "resync/error.hpp"
#include "router.hpp"
#include "ws_broadcaster.hpp"

namespace resync::server {
namespace {

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

detail::WsBroadcaster::Options broadcaster_options(const HttpServerOptions& o) {
  return {o.max_ws_clients,       o.ws_ping_interval,     o.ws_idle_timeout,
          o.ws_max_queued_frames, o.ws_send_buffer_bytes, 65536};
}

}  // namespace

HttpServerOptions HttpServerOptions::from_config(const ServerConfig& config) {
  HttpServerOptions o;
  o.bind = config.bind;
  o.auth_token = config.auth_token;
  o.auth_user = config.auth_user;
  o.auth_password = config.auth_password;
  o.allowed_origins = config.allowed_origins;
  o.allowed_hosts = config.allowed_hosts;
  o.cors_origins = config.cors_origins;
  o.max_ws_clients = config.max_ws_clients;
  o.threads = config.threads;
  return o;
}

struct HttpServer::Impl {
  Impl(const Monitor& monitor, HttpServerOptions o)
      : options(std::move(o)),
        documents(monitor),
        ws(broadcaster_options(options),
           [this] {
             const auto current = documents.get(detail::View::kCurrent);
             return detail::WsBroadcaster::Push{current->generation(),
                                                std::string(current->body())};
           }),
        router(monitor, options, documents, ws) {}
  ~Impl() { stop(); }

  void start();
  void stop();
  // On the sampler thread: no rendering here, only news that documents are stale.
  void on_sample() {
    documents.invalidate();
    ws.notify();
  }

  const HttpServerOptions options;
  detail::DocumentCache documents;
  detail::WsBroadcaster ws;
  detail::Router router;

  std::mutex lifecycle_mutex;
  bool started = false, stopped = false;
  detail::ListenSocket listen_socket;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> http;
  std::string host;
  std::atomic<uint16_t> port{0};
};

void HttpServer::Impl::start() {
  std::lock_guard lock(lifecycle_mutex);
  if (started) return;
  const BindAddress bind = parse_bind(options.bind);
  detail::ListenSocket& socket = listen_socket;
  try {
    // SO_REUSEADDR so a restart binds despite TIME_WAIT, but never SO_REUSEPORT (Poco's
    // two-argument bind sets both), which would let a second server share the port silently.
    socket.bind(Poco::Net::SocketAddress(bind.host, bind.port), true, false);
    socket.listen(1024);
  } catch (const Poco::Net::HostNotFoundException&) {
    throw BindError("cannot bind " + options.bind + ": host not found");
  } catch (const Poco::Exception& e) {
    const std::string why = e.code() > 0 ? lower_first(std::strerror(e.code())) : e.displayText();
    throw BindError("cannot bind " + options.bind + ": " + why);
  }
  host = bind.host;
  port = socket.address().port();

  const int threads =
      static_cast<int>(options.threads ? options.threads : HttpServerOptions::kDefaultThreads);
  // Our own pool: Poco's default one stops at 16 threads, and a 1 s idle time keeps stop() fast.
  pool = std::make_unique<Poco::ThreadPool>(2, threads, 1);
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(threads);
  params->setMaxQueued(1024);
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(5, 0));
  params->setTimeout(Poco::Timespan(10, 0));
  http = std::make_unique<Poco::Net::HTTPServer>(router.factory(), *pool, socket, params);
  ws.start();
  http->start();
  started = true;
}

void HttpServer::Impl::stop() {
  std::lock_guard lock(lifecycle_mutex);
  if (!started || stopped) return;
  stopped = true;
  listen_socket.wake_acceptor();
  ws.stop();
  http->stopAll(true);
  // Closed, not left listening: a client that connects now is refused at once instead of
  // waiting in the backlog for an accept that never comes.
  listen_socket.close();
  pool->joinAll();
}

HttpServer::HttpServer(Monitor& monitor, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(monitor, std::move(options))) {
  monitor.add_listener([impl = impl_](int64_t) { impl->on_sample(); });
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() { impl_->start(); }
void HttpServer::stop() { impl_->stop(); }
uint16_t HttpServer::port() const { return impl_->port.load(); }

std::string HttpServer::base_url() const {
  const std::string& host = impl_->host;
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port());
}

size_t HttpServer::websocket_clients() const { return impl_->ws.clients(); }
uint64_t HttpServer::websocket_clients_dropped() const { return impl_->ws.dropped(); }
uint64_t HttpServer::documents_rendered() const { return impl_->documents.renders(); }

}  // namespace resync::server

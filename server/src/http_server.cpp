// SPDX-License-Identifier: MIT
// HttpServer's lifecycle: binding, the connection loops, the render pool, start and stop. Requests
// are read and answered by the ConnectionLoops (one per core) through the Router; documents come
// from the DocumentCache, rendered on the RenderPool; WebSocket clients stay on their loop, and
// the WsBroadcaster renders each push once and posts it to every loop.
#include "resync/server/http_server.hpp"

#include <Poco/Net/NetException.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <mutex>
#include <thread>

#include "connection_loop.hpp"
#include "document_cache.hpp"
#include "host_policy.hpp"
#include "listen_socket.hpp"
#include "raw_response.hpp"
#include "render_pool.hpp"
#include "resync/error.hpp"
#include "resync/log.hpp"
#include "resync/tls/module.hpp"
#include "router.hpp"
#include "transport.hpp"
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

// An expired certificate still serves (clients decide), but an operator should hear of it first.
void log_tls(const tls::ServerContext& tls, const std::string& file) {
  const std::string what = "TLS: certificate " + tls.subject() + " from " + file;
  if (tls.expired()) {
    log_warning(what + " expired on " + tls.expires() + "; clients will refuse it");
  } else {
    log_info(what + ", valid until " + tls.expires());
  }
}

// Through the TLS module, loaded here the first time: a server without server.tls never maps
// OpenSSL.
std::shared_ptr<const tls::ServerContext> load_tls(const std::string& cert_file,
                                                   const std::string& key_file,
                                                   std::string* error) {
  try {
    static const std::string refusal =
        detail::error_response(400, "plain HTTP sent to a TLS port (use https://)", false);
    return tls::module().load_server_context(cert_file, key_file, refusal, error);
  } catch (const tls::ModuleError& e) {
    *error = std::string("server.tls: ") + e.what();
    return nullptr;
  }
}

detail::ConnectionLoop::Options loop_options(const HttpServerOptions& o) {
  detail::ConnectionLoop::Options l;
  // Room for the policy chain's own, more precise check (431 on names + values) within the
  // loop's cap on the whole head.
  l.limits.max_head_bytes = o.max_uri_length + o.max_header_bytes + 1024;
  l.limits.max_target_bytes = o.max_uri_length;
  l.max_body_bytes = o.max_body_bytes;
  l.request_timeout = o.request_timeout;
  l.keep_alive_timeout = o.keep_alive_timeout;
  return l;
}

}  // namespace

HttpServerOptions HttpServerOptions::from_config(const ServerConfig& config) {
  HttpServerOptions o;
  o.bind = config.bind;
  o.policies = config.policies;
  o.max_ws_clients = config.max_ws_clients;
  o.threads = config.threads;
  o.max_connections_per_client = config.max_connections_per_client;
  o.request_timeout = config.request_timeout;
  o.tls_cert_file = config.tls_cert_file;
  o.tls_key_file = config.tls_key_file;
  return o;
}

std::string check_tls_files(const std::string& cert_file, const std::string& key_file) {
  std::string error;
  load_tls(cert_file, key_file, &error);
  return error;
}

struct HttpServer::Impl {
  Impl(const Monitor& monitor, HttpServerOptions o)
      : options(std::move(o)),
        documents(monitor),
        pool(options.threads),
        ws(
            broadcaster_options(options),
            [this] {
              const auto current = documents.get(detail::View::kCurrent);
              return detail::WsBroadcaster::Push{current->generation(),
                                                 std::string(current->body())};
            },
            pool),
        router(monitor, options, documents, ws),
        shared(options.max_connections_per_client) {}
  ~Impl() { stop(); }

  void start();
  void stop();
  std::string reload_tls(const std::string& cert_file, const std::string& key_file);
  std::shared_ptr<const tls::ServerContext> current_tls() {
    std::lock_guard lock(tls_mutex);
    return tls;
  }
  // On the sampler thread: documents only learn they are stale; the WebSocket frame is rendered
  // here only while clients are connected.
  void on_sample() {
    documents.invalidate();
    ws.notify();
  }

  const HttpServerOptions options;
  detail::DocumentCache documents;
  detail::RenderPool pool;
  detail::WsBroadcaster ws;
  detail::Router router;

  std::mutex lifecycle_mutex;
  bool started = false, stopped = false;
  detail::LoopShared shared;
  detail::ListenSocket listen_socket;
  std::vector<std::unique_ptr<detail::ConnectionLoop>> loops;
  std::string host;
  std::atomic<uint16_t> port{0};

  // Swapped whole by reload_tls(); each accept takes the current one.
  std::mutex tls_mutex;
  std::shared_ptr<const tls::ServerContext> tls;  // null: plain HTTP
  std::string tls_files[2];                       // cert, key; guarded by tls_mutex
};

void HttpServer::Impl::start() {
  std::lock_guard lock(lifecycle_mutex);
  if (started) return;
  const BindAddress bind = parse_bind(options.bind);
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    std::string error;
    auto loaded = load_tls(options.tls_cert_file, options.tls_key_file, &error);
    if (!loaded) throw ConfigError(error);
    log_tls(*loaded, options.tls_cert_file);
    std::lock_guard tls_lock(tls_mutex);
    tls = std::move(loaded);
    tls_files[0] = options.tls_cert_file;
    tls_files[1] = options.tls_key_file;
  }
  try {
    listen_socket.open(Poco::Net::SocketAddress(bind.host, bind.port), 1024);
  } catch (const Poco::Net::HostNotFoundException&) {
    throw BindError("cannot bind " + options.bind + ": host not found");
  } catch (const Poco::Exception& e) {
    const std::string why = e.code() > 0 ? lower_first(std::strerror(e.code())) : e.displayText();
    throw BindError("cannot bind " + options.bind + ": " + why);
  }
  host = bind.host;
  port = listen_socket.address().port();

  // One loop per core, each owning the connections it accepts.
  const size_t count =
      options.loops ? options.loops : std::max(1u, std::thread::hardware_concurrency());
  detail::ConnectionLoop::Options o = loop_options(options);
  o.accept_one_by_one = count > 1;
  if (current_tls()) o.make_transport = [this](int fd) { return current_tls()->wrap(fd); };
  for (size_t i = 0; i < count; ++i) {
    loops.push_back(
        std::make_unique<detail::ConnectionLoop>(listen_socket, shared, o, router, pool, ws));
  }
  std::vector<detail::ConnectionLoop*> all;
  for (auto& loop : loops) all.push_back(loop.get());
  shared.set_loops(std::move(all));
  // After each push's render (sampler or pool thread); the loops are fixed from here on.
  ws.set_deliver([this](const std::shared_ptr<const detail::WsFrame>& frame) {
    for (auto& loop : loops) loop->post(frame);
  });
  for (auto& loop : loops) loop->start();
  started = true;
}

void HttpServer::Impl::stop() {
  std::lock_guard lock(lifecycle_mutex);
  if (!started || stopped) return;
  stopped = true;
  ws.stop();  // no new WebSocket client from here
  // The loops first, so nothing new reaches the pool; the pool's last renders then find the
  // loops stopped and are dropped.
  for (auto& loop : loops) loop->stop();
  // Closed, not left listening: a client that connects now is refused at once instead of
  // waiting in the backlog for an accept that never comes.
  listen_socket.close();
  pool.stop();
}

std::string HttpServer::Impl::reload_tls(const std::string& cert_file,
                                         const std::string& key_file) {
  const bool on = current_tls() != nullptr;
  const bool wanted = !cert_file.empty() || !key_file.empty();
  if (!on && wanted)
    return "server.tls: TLS was off when the server started; restart to turn it on";
  if (on && !wanted) return "server.tls: the server speaks TLS; restart to turn it off";
  if (!on) return "";
  // Loaded outside the lock: accepting goes on meanwhile with the old certificate.
  std::string error;
  auto fresh = load_tls(cert_file, key_file, &error);
  if (!fresh) return error;
  std::lock_guard lock(tls_mutex);
  tls = std::move(fresh);
  tls_files[0] = cert_file;
  tls_files[1] = key_file;
  log_tls(*tls, cert_file);
  return "";
}

HttpServer::HttpServer(Monitor& monitor, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(monitor, std::move(options))) {
  monitor.add_listener([impl = impl_](int64_t) { impl->on_sample(); });
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() { impl_->start(); }
void HttpServer::stop() { impl_->stop(); }
void HttpServer::apply_policies(const ServerConfig& config) {
  HttpServerOptions o = impl_->options;  // bind and limits as started
  o.policies = config.policies;
  impl_->router.set_policies(o);
}

uint16_t HttpServer::port() const { return impl_->port.load(); }

std::string HttpServer::base_url() const {
  const std::string& host = impl_->host;
  const bool v6 = host.find(':') != std::string::npos;
  return (tls() ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port());
}

bool HttpServer::tls() const {
  return !impl_->options.tls_cert_file.empty() || !impl_->options.tls_key_file.empty();
}

std::string HttpServer::reload_tls() {
  std::string cert, key;
  {
    std::lock_guard lock(impl_->tls_mutex);
    cert = impl_->tls_files[0];
    key = impl_->tls_files[1];
  }
  return reload_tls(cert, key);
}

std::string HttpServer::reload_tls(const std::string& cert_file, const std::string& key_file) {
  return impl_->reload_tls(cert_file, key_file);
}

size_t HttpServer::connections() const { return impl_->shared.open(); }

std::vector<size_t> HttpServer::connections_per_loop() const {
  std::vector<size_t> counts;
  for (const auto& loop : impl_->loops) counts.push_back(loop->assigned());
  return counts;
}
size_t HttpServer::websocket_clients() const { return impl_->ws.clients(); }
uint64_t HttpServer::websocket_clients_dropped() const { return impl_->ws.dropped(); }
uint64_t HttpServer::documents_rendered() const { return impl_->documents.renders(); }

}  // namespace resync::server

// SPDX-License-Identifier: MIT
#include "resync/server/http_server.hpp"

#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <Poco/Base64Encoder.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "listen_socket.hpp"
#include "resync/assets.hpp"
#include "resync/error.hpp"
#include "resync/json_writer.hpp"
#include "resync/log.hpp"
#include "resync/server/prometheus_text.hpp"
#include "resync/server/views.hpp"
#include "resync/util/host_port.hpp"
#include "ws_broadcaster.hpp"

namespace resync::server {
namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// Poco's header API takes const std::string&: keep the per-request path free of allocations.
const std::string kJson = "application/json";
const std::string kPrometheus = kPrometheusContentType;
const std::string kCacheControl = "Cache-Control";
const std::string kNoStore = "no-store";
const std::string kNoCache = "no-cache";
const std::string kNoSniff = "nosniff";
const std::string kContentTypeOptions = "X-Content-Type-Options";
const std::string kAuthorization = "Authorization";
const std::string kOrigin = "Origin";
const std::string kHost = "Host";
const std::string kAllow = "Allow";
const std::string kAllowGet = "GET, HEAD";
const std::string kEmpty;
const std::string kDate = "Date";
const std::string kReason431 = "Request Header Fields Too Large";  // Poco 1.11 has no name for it
const std::string kLivenessBody = R"({"status":"ok"})";

constexpr std::string_view kCurrentPath = "/api/monitoring/current";
constexpr std::string_view kHistoryPath = "/api/monitoring/history";
constexpr std::string_view kAlertsPath = "/api/monitoring/alerts";
constexpr std::string_view kHealthPath = "/api/monitoring/health";
constexpr std::string_view kWsPath = "/api/monitoring/ws";
constexpr std::string_view kMetricsPath = "/metrics";
constexpr std::string_view kLivenessPath = "/health";
constexpr std::string_view kDashboardPath = "/monitoring";
constexpr std::string_view kAssetsPrefix = "/monitoring/assets/";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

std::string base64(const std::string& text) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << text;
  encoder.close();
  return out.str();
}

void send_bytes(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const std::string& content_type,
                const std::string& cache_control, const char* data, size_t size) {
  if (status != HTTPResponse::HTTP_OK) {
    response.setStatusAndReason(status, status == 431 ? kReason431 : HTTPResponse::getReasonForStatus(status));
  }
  response.setContentType(content_type);
  response.set(kCacheControl, cache_control);
  response.set(kContentTypeOptions, kNoSniff);
  response.sendBuffer(data, size);
}

// Documents this large also live in a memfd and go out with sendfile(2), as nginx sends a
// static file: one copy less per request, which is what large bodies cost.
constexpr size_t kSendfileMinBytes = 16 * 1024;

// One rendered document, shared by every request that serves it until the next sample, stored
// as it goes on the wire: the constant header lines, then the body. A request adds only the status
// line, Date and Connection, and costs one writev (plus a sendfile for large bodies).
class Document {
 public:
  Document(const std::string& content_type, std::string_view body) {
    wire_ = "Content-Type: " + content_type + "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n" +
            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    head_size_ = wire_.size();
    wire_.append(body);
    if (body.size() >= kSendfileMinBytes) fd_ = to_memfd(body);
  }
  ~Document() {
    if (fd_ >= 0) close(fd_);
  }
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  std::string_view body() const { return std::string_view(wire_).substr(head_size_); }

  /// Writes the whole response on the request's socket, bypassing Poco's response writer (which
  /// formats every header per request and writes head and body separately).
  void send(HTTPServerRequest& request, HTTPServerResponse& response) const {
    // The socket Poco's WebSocket also takes from the request; the session is ours until we return.
    const int socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket().impl()->sockfd();
    const bool head_only = request.getMethod() == Poco::Net::HTTPRequest::HTTP_HEAD;
    const bool use_sendfile = fd_ >= 0 && !head_only;
    // Poco has already set Date, the version and keep-alive on `response` from the request.
    char status_line[160];
    const int length = std::snprintf(status_line, sizeof status_line, "%s 200 OK\r\nDate: %s\r\nConnection: %s\r\n",
                                     request.getVersion().c_str(), response.get(kDate, kEmpty).c_str(),
                                     response.getKeepAlive() ? "Keep-Alive" : "Close");
    if (length <= 0 || static_cast<size_t>(length) >= sizeof status_line) {
      throw std::runtime_error("status line too long");
    }
    iovec parts[2] = {{status_line, static_cast<size_t>(length)},
                      {const_cast<char*>(wire_.data()), head_only || use_sendfile ? head_size_ : wire_.size()}};
    bool ok = write_all(socket, parts, use_sendfile);
    off_t offset = 0;
    const auto size = static_cast<off_t>(wire_.size() - head_size_);
    while (ok && use_sendfile && offset < size) {
      const ssize_t n = sendfile(socket, fd_, &offset, static_cast<size_t>(size - offset));
      ok = n > 0 || (n < 0 && errno == EINTR);
    }
    // A send timeout or a gone client cut the response short: the connection must not carry more.
    if (!ok) response.setKeepAlive(false);
  }

 private:
  static int to_memfd(std::string_view body) {
    int fd = memfd_create("resync-document", MFD_CLOEXEC);
    for (size_t done = 0; fd >= 0 && done < body.size();) {
      const ssize_t n = write(fd, body.data() + done, body.size() - done);
      if (n <= 0) {
        close(fd);
        fd = -1;  // served from memory instead
      } else {
        done += static_cast<size_t>(n);
      }
    }
    return fd;
  }

  static bool write_all(int socket, iovec* parts, bool more) {
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = 2;
    size_t left = parts[0].iov_len + parts[1].iov_len;
    while (left > 0) {
      const ssize_t n = sendmsg(socket, &message, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      left -= static_cast<size_t>(n);
      for (size_t skip = static_cast<size_t>(n); skip > 0;) {  // drop what was written
        const size_t take = std::min(skip, message.msg_iov->iov_len);
        message.msg_iov->iov_base = static_cast<char*>(message.msg_iov->iov_base) + take;
        message.msg_iov->iov_len -= take;
        skip -= take;
        if (message.msg_iov->iov_len == 0 && message.msg_iovlen > 1) {
          ++message.msg_iov;
          --message.msg_iovlen;
        }
      }
    }
    return true;
  }

  std::string wire_;
  size_t head_size_ = 0;
  int fd_ = -1;
};

void send_json(HTTPServerResponse& response, const std::string& body,
               HTTPResponse::HTTPStatus status = HTTPResponse::HTTP_OK) {
  send_bytes(response, status, kJson, kNoStore, body.data(), body.size());
}

void send_error(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, std::string_view message) {
  send_json(response, detail::error_json(static_cast<int>(status), message), status);
}

}  // namespace

namespace detail {

bool constant_time_equals(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() != expected.size() ? 1 : 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

bool origin_allowed(std::string_view origin, std::string_view host_header, const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;
  if (!allowed.empty()) {
    return std::any_of(allowed.begin(), allowed.end(),
                       [origin](const std::string& a) { return a == "*" || iequals(a, origin); });
  }
  // Same origin: the page's scheme://host[:port] must name this server as the Host header does.
  const size_t sep = origin.find("://");
  if (sep == std::string_view::npos) return false;
  const std::string_view scheme = origin.substr(0, sep);
  const uint16_t default_port = iequals(scheme, "https") ? 443 : iequals(scheme, "http") ? 80 : 0;
  if (default_port == 0) return false;
  const auto o = try_parse_host_port(origin.substr(sep + 3), default_port);
  const auto h = try_parse_host_port(host_header, default_port);
  return o && h && iequals(o->host, h->host) && o->port == h->port;
}

size_t history_rows(std::string_view text, int64_t max_minutes, std::chrono::milliseconds interval) {
  int64_t minutes = 0;
  const bool digits = !text.empty() && text.size() <= 9 &&
                      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::from_chars(text.data(), text.data() + text.size(), minutes).ec != std::errc() || minutes < 1 ||
      minutes > max_minutes) {
    const std::string shown(text.substr(0, 32));
    throw std::invalid_argument("minutes: expected an integer from 1 to " + std::to_string(max_minutes) + ", got \"" +
                                shown + (text.size() > 32 ? "...\"" : "\""));
  }
  return static_cast<size_t>(std::max<int64_t>(1, minutes * 60000 / std::max<int64_t>(1, interval.count())));
}

std::string error_json(int status, std::string_view message) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("error", message).field("status", status).end_object();
  return out;
}

}  // namespace detail

HttpServerOptions HttpServerOptions::from_config(const ServerConfig& config) {
  HttpServerOptions o;
  o.bind = config.bind;
  o.auth_token = config.auth_token;
  o.auth_user = config.auth_user;
  o.auth_password = config.auth_password;
  o.allowed_origins = config.allowed_origins;
  o.max_ws_clients = config.max_ws_clients;
  o.threads = config.threads;
  return o;
}

BindAddress parse_bind(std::string_view text, std::string_view what) {
  try {
    HostPort bind = parse_host_port(text, std::nullopt, PortZero::kAllow);
    return {std::move(bind.host), bind.port};
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string(what) + ": expected HOST:PORT like \"127.0.0.1:8000\", got \"" + std::string(text) +
                      "\" (" + e.what() + ")");
  }
}

struct HttpServer::Impl {
  Impl(const Monitor& m, HttpServerOptions o)
      : monitor(m),
        options(std::move(o)),
        window_minutes(std::max<int64_t>(1, (m.config().window.count() + 59999) / 60000)),
        ws(detail::WsBroadcaster::Options{options.max_ws_clients, options.ws_ping_interval, options.ws_idle_timeout,
                                          options.ws_max_queued_frames, options.ws_send_buffer_bytes, 65536}) {
    if (!options.auth_token.empty()) {
      auth_scheme = "Bearer";
      auth_credentials = options.auth_token;
      auth_challenge = "Bearer realm=\"resync-mon\"";
    } else if (!options.auth_user.empty()) {
      auth_scheme = "Basic";
      auth_credentials = base64(options.auth_user + ":" + options.auth_password);
      auth_challenge = "Basic realm=\"resync-mon\", charset=\"UTF-8\"";
    }
  }
  ~Impl() { stop(); }

  void start();
  void stop();
  void publish();
  void handle(HTTPServerRequest& request, HTTPServerResponse& response);
  bool authorized(const HTTPServerRequest& request) const;
  bool consume_body(HTTPServerRequest& request) const;
  void serve_history(std::string_view query, HTTPServerRequest& request, HTTPServerResponse& response);
  void serve_websocket(HTTPServerRequest& request, HTTPServerResponse& response);
  void serve_asset(std::string_view path, HTTPServerResponse& response);

  const Monitor& monitor;
  const HttpServerOptions options;
  const int64_t window_minutes;
  std::string auth_scheme, auth_credentials, auth_challenge;  // empty scheme = no auth
  detail::WsBroadcaster ws;

  std::mutex documents_mutex;  // guards the three pointers, never held while rendering or sending
  std::shared_ptr<const Document> current, history, metrics;

  std::mutex lifecycle_mutex;
  bool started = false, stopped = false;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> http;
  std::string host;
  std::atomic<uint16_t> port{0};
};

namespace {

class RequestHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RequestHandler(HttpServer::Impl& impl) : impl_(impl) {}
  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    try {
      impl_.handle(request, response);
    } catch (const std::exception& e) {
      log_error(std::string("HTTP handler: ") + e.what());
      if (!response.sent()) send_error(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "internal error");
    }
  }

 private:
  HttpServer::Impl& impl_;
};

class HandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit HandlerFactory(HttpServer::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new RequestHandler(impl_);
  }

 private:
  HttpServer::Impl& impl_;
};

}  // namespace

void HttpServer::Impl::publish() {
  const MonitorSnapshot snap = monitor.snapshot();
  auto c = std::make_shared<const Document>(kJson, render_current(snap));
  auto h = std::make_shared<const Document>(kJson, render_history(snap));
  auto m = std::make_shared<const Document>(kPrometheus, render_prometheus(snap));
  ws.publish(c->body());
  {
    std::lock_guard lock(documents_mutex);
    current.swap(c);
    history.swap(h);
    metrics.swap(m);
  }
  // The old documents are released here, outside the lock; requests still sending them keep them.
}

void HttpServer::Impl::start() {
  std::lock_guard lock(lifecycle_mutex);
  if (started) return;
  const BindAddress bind = parse_bind(options.bind);
  detail::ListenSocket socket;
  try {
    // SO_REUSEADDR so a restart binds despite TIME_WAIT, but never SO_REUSEPORT (Poco's two-argument
    // bind sets both), which would let a second server share the port silently.
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

  const int threads = static_cast<int>(options.threads ? options.threads : HttpServerOptions::kDefaultThreads);
  // Our own pool: Poco's default one stops at 16 threads, and a 1 s idle time keeps stop() fast.
  pool = std::make_unique<Poco::ThreadPool>(2, threads, 1);
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(threads);
  params->setMaxQueued(1024);
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(5, 0));
  params->setTimeout(Poco::Timespan(10, 0));
  http = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(*this), *pool, socket, params);
  publish();
  ws.start();
  http->start();
  started = true;
}

void HttpServer::Impl::stop() {
  std::lock_guard lock(lifecycle_mutex);
  if (!started || stopped) return;
  stopped = true;
  ws.stop();
  http->stopAll(true);
  pool->joinAll();
}

bool HttpServer::Impl::authorized(const HTTPServerRequest& request) const {
  if (auth_scheme.empty()) return true;
  std::string_view given = request.get(kAuthorization, kEmpty);
  const size_t space = given.find(' ');
  if (space == std::string_view::npos || !iequals(given.substr(0, space), auth_scheme)) return false;
  given.remove_prefix(space);
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  return detail::constant_time_equals(given, auth_credentials);
}

// Reads and discards a body within the limit, so the connection can carry the next request.
bool HttpServer::Impl::consume_body(HTTPServerRequest& request) const {
  if (request.hasContentLength()) {
    const auto length = request.getContentLength64();
    if (length < 0 || static_cast<uint64_t>(length) > options.max_body_bytes) return false;
    if (length > 0) request.stream().ignore(length);
    return true;
  }
  if (request.getChunkedTransferEncoding()) {
    std::istream& in = request.stream();
    in.ignore(static_cast<std::streamsize>(options.max_body_bytes) + 1);
    return static_cast<size_t>(in.gcount()) <= options.max_body_bytes;
  }
  return true;
}

void HttpServer::Impl::handle(HTTPServerRequest& request, HTTPServerResponse& response) {
  const std::string& uri = request.getURI();
  if (uri.size() > options.max_uri_length) {
    response.setKeepAlive(false);
    return send_error(response, HTTPResponse::HTTP_REQUEST_URI_TOO_LONG,
                      "request target longer than " + std::to_string(options.max_uri_length) + " bytes");
  }
  size_t header_bytes = 0;
  for (const auto& field : request) header_bytes += field.first.size() + field.second.size() + 4;
  if (header_bytes > options.max_header_bytes) {
    response.setKeepAlive(false);
    return send_error(response, HTTPResponse::HTTPStatus(431),
                      "request header fields larger than " + std::to_string(options.max_header_bytes) + " bytes");
  }
  if (!consume_body(request)) {
    response.setKeepAlive(false);
    return send_error(response, HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE,
                      "request body larger than " + std::to_string(options.max_body_bytes) + " bytes");
  }

  const std::string_view target = uri;
  const size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  const std::string& method = request.getMethod();
  const bool get = method == Poco::Net::HTTPRequest::HTTP_GET || method == Poco::Net::HTTPRequest::HTTP_HEAD;

  const bool known = path == kCurrentPath || path == kHistoryPath || path == kAlertsPath || path == kHealthPath ||
                     path == kWsPath || path == kMetricsPath || path == kLivenessPath || path == kDashboardPath ||
                     starts_with(path, kAssetsPrefix);
  // /health stays open for liveness probes; everything else, even a 404, first needs credentials,
  // so that an anonymous client learns nothing about the routes.
  if (path != kLivenessPath && !authorized(request)) {
    response.set("WWW-Authenticate", auth_challenge);
    return send_error(response, HTTPResponse::HTTP_UNAUTHORIZED, "authentication required");
  }
  // The page's URLs are relative, so it must be loaded as /monitoring exactly; relative
  // redirects keep working behind a proxy that adds a path prefix.
  if (get && (path == "/" || path == "/monitoring/")) {
    return response.redirect(path == "/" ? "monitoring" : "../monitoring", HTTPResponse::HTTP_FOUND);
  }
  if (!known) return send_error(response, HTTPResponse::HTTP_NOT_FOUND, "no such endpoint: " + std::string(path));
  if (!get) {
    response.set(kAllow, kAllowGet);
    return send_error(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method " + method + " not allowed; use GET");
  }

  if (path == kCurrentPath || path == kMetricsPath) {
    std::shared_ptr<const Document> body;
    {
      std::lock_guard lock(documents_mutex);
      body = path == kCurrentPath ? current : metrics;
    }
    return body->send(request, response);
  }
  if (path == kHistoryPath) return serve_history(query, request, response);
  if (path == kAlertsPath) return send_json(response, render_alerts(monitor.snapshot(1)));
  if (path == kHealthPath) return send_json(response, render_health(monitor.snapshot(1)));
  if (path == kLivenessPath) {
    return send_bytes(response, HTTPResponse::HTTP_OK, kJson, kNoStore, kLivenessBody.data(), kLivenessBody.size());
  }
  if (path == kWsPath) return serve_websocket(request, response);
  return serve_asset(path, response);
}

void HttpServer::Impl::serve_history(std::string_view query, HTTPServerRequest& request, HTTPServerResponse& response) {
  std::optional<std::string_view> minutes;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == "minutes") {
      minutes = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      break;
    }
  }
  size_t rows = SIZE_MAX;
  if (minutes) {
    try {
      rows = detail::history_rows(*minutes, window_minutes, monitor.config().interval);
    } catch (const std::invalid_argument& e) {
      return send_error(response, HTTPResponse::HTTP_BAD_REQUEST, e.what());
    }
  }
  if (rows >= monitor.store().capacity()) {
    std::shared_ptr<const Document> body;
    {
      std::lock_guard lock(documents_mutex);
      body = history;
    }
    return body->send(request, response);
  }
  send_json(response, render_history(monitor.snapshot(rows)));
}

void HttpServer::Impl::serve_websocket(HTTPServerRequest& request, HTTPServerResponse& response) {
  if (!request.hasToken("Connection", "upgrade") || !iequals(request.get("Upgrade", kEmpty), "websocket")) {
    return send_error(response, HTTPResponse::HTTP_BAD_REQUEST,
                      "expected a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)");
  }
  const std::string& origin = request.get(kOrigin, kEmpty);
  if (!detail::origin_allowed(origin, request.get(kHost, kEmpty), options.allowed_origins)) {
    return send_error(response, HTTPResponse::HTTP_FORBIDDEN, "WebSocket origin not allowed: " + origin);
  }
  if (!ws.try_reserve()) {
    return send_error(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                      "too many WebSocket clients (limit " + std::to_string(options.max_ws_clients) + ")");
  }
  try {
    // Answers 101 and detaches the socket from this HTTP session, so this thread goes back to
    // the pool as soon as the broadcaster has it.
    ws.add(std::make_unique<Poco::Net::WebSocket>(request, response));
  } catch (const Poco::Exception& e) {
    ws.release();
    if (!response.sent()) send_error(response, HTTPResponse::HTTP_BAD_REQUEST, "WebSocket handshake: " + e.message());
  }
}

void HttpServer::Impl::serve_asset(std::string_view path, HTTPServerResponse& response) {
  const Asset* asset = find_asset(path);
  if (!asset) return send_error(response, HTTPResponse::HTTP_NOT_FOUND, "no such asset: " + std::string(path));
  const std::string content_type(asset->content_type);
  send_bytes(response, HTTPResponse::HTTP_OK, content_type, kNoCache,
             asset->body.data(), asset->body.size());
}

HttpServer::HttpServer(Monitor& monitor, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(monitor, std::move(options))) {
  monitor.add_listener([impl = impl_](int64_t) { impl->publish(); });
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

}  // namespace resync::server

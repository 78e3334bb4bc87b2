// SPDX-License-Identifier: MIT
#include "router.hpp"

#include "resync/server/html_report.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/WebSocket.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>

#include "http_text.hpp"
#include "resync/assets.hpp"
#include "resync/json_writer.hpp"
#include "resync/log.hpp"

namespace resync::server::detail {
namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// Poco's header API takes const std::string&: keep the per-request path free of allocations.
const std::string kJson = "application/json";
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
const std::string kReason431 = "Request Header Fields Too Large";  // Poco 1.11 has no name for it
const std::string kLivenessBody = R"({"status":"ok"})";

constexpr std::string_view kCurrentPath = "/api/monitoring/current";
constexpr std::string_view kHistoryPath = "/api/monitoring/history";
constexpr std::string_view kAlertsPath = "/api/monitoring/alerts";
constexpr std::string_view kHealthPath = "/api/monitoring/health";
constexpr std::string_view kReportPath = "/api/monitoring/report";
constexpr std::string_view kWsPath = "/api/monitoring/ws";
constexpr std::string_view kMetricsPath = "/metrics";
constexpr std::string_view kLivenessPath = "/health";
constexpr std::string_view kDashboardPath = "/monitoring";
constexpr std::string_view kAssetsPrefix = "/monitoring/assets/";

void send_bytes(HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
                const std::string& content_type, const std::string& cache_control, const char* data,
                size_t size) {
  if (status != HTTPResponse::HTTP_OK) {
    response.setStatusAndReason(
        status, status == 431 ? kReason431 : HTTPResponse::getReasonForStatus(status));
  }
  response.setContentType(content_type);
  response.set(kCacheControl, cache_control);
  response.set(kContentTypeOptions, kNoSniff);
  response.sendBuffer(data, size);
}

void send_json(HTTPServerResponse& response, const std::string& body,
               HTTPResponse::HTTPStatus status = HTTPResponse::HTTP_OK) {
  send_bytes(response, status, kJson, kNoStore, body.data(), body.size());
}

void send_error(HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
                std::string_view message) {
  send_json(response, error_json(static_cast<int>(status), message), status);
}

class RequestHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RequestHandler(Router& router) : router_(router) {}
  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    try {
      router_.handle(request, response);
    } catch (const std::exception& e) {
      log_error(std::string("HTTP handler: ") + e.what());
      if (!response.sent())
        send_error(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "internal error");
    }
  }

 private:
  Router& router_;
};

class HandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit HandlerFactory(Router& router) : router_(router) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new RequestHandler(router_);
  }

 private:
  Router& router_;
};

}  // namespace

size_t history_rows(std::string_view text, int64_t max_minutes,
                    std::chrono::milliseconds interval) {
  int64_t minutes = 0;
  const bool digits =
      !text.empty() && text.size() <= 9 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits ||
      std::from_chars(text.data(), text.data() + text.size(), minutes).ec != std::errc() ||
      minutes < 1 || minutes > max_minutes) {
    const std::string shown(text.substr(0, 32));
    throw std::invalid_argument("minutes: expected an integer from 1 to " +
                                std::to_string(max_minutes) + ", got \"" + shown +
                                (text.size() > 32 ? "...\"" : "\""));
  }
  return static_cast<size_t>(
      std::max<int64_t>(1, minutes * 60000 / std::max<int64_t>(1, interval.count())));
}

std::string error_json(int status, std::string_view message) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("error", message).field("status", status).end_object();
  return out;
}

Router::Router(const Monitor& monitor, const HttpServerOptions& options, DocumentCache& documents,
               WsBroadcaster& ws)
    : monitor_(monitor),
      options_(options),
      auth_(options.auth_token, options.auth_user, options.auth_password,
            options.auth_password_hash),
      hosts_(HostPolicy::for_bind(options.bind, options.allowed_hosts)),
      cors_(options.cors_origins),
      window_minutes_(std::max<int64_t>(1, (monitor.config().window.count() + 59999) / 60000)),
      documents_(documents),
      ws_(ws) {}

Poco::Net::HTTPRequestHandlerFactory::Ptr Router::factory() { return new HandlerFactory(*this); }

// Reads and discards a body within the limit, so the connection can carry the next request.
bool Router::consume_body(HTTPServerRequest& request) const {
  if (request.hasContentLength()) {
    const auto length = request.getContentLength64();
    if (length < 0 || static_cast<uint64_t>(length) > options_.max_body_bytes) return false;
    if (length > 0) request.stream().ignore(length);
    return true;
  }
  if (request.getChunkedTransferEncoding()) {
    std::istream& in = request.stream();
    in.ignore(static_cast<std::streamsize>(options_.max_body_bytes) + 1);
    return static_cast<size_t>(in.gcount()) <= options_.max_body_bytes;
  }
  return true;
}

bool Router::apply_cors(HTTPServerRequest& request, HTTPServerResponse& response) {
  const std::string& origin = request.get(kOrigin, kEmpty);
  if (!cors_.allows(origin)) return false;
  response.set("Access-Control-Allow-Origin", origin);
  response.set("Vary", kOrigin);
  // A preflight carries no credentials, so it is answered before authentication.
  if (request.getMethod() != Poco::Net::HTTPRequest::HTTP_OPTIONS ||
      !request.has("Access-Control-Request-Method"))
    return false;
  response.set("Access-Control-Allow-Methods", CorsPolicy::kAllowMethods);
  response.set("Access-Control-Allow-Headers", CorsPolicy::kAllowHeaders);
  response.set("Access-Control-Max-Age", CorsPolicy::kMaxAge);
  response.setStatusAndReason(HTTPResponse::HTTP_NO_CONTENT);
  response.setContentLength(0);
  response.send();
  return true;
}

void Router::handle(HTTPServerRequest& request, HTTPServerResponse& response) {
  const std::string& uri = request.getURI();
  if (uri.size() > options_.max_uri_length) {
    response.setKeepAlive(false);
    return send_error(
        response, HTTPResponse::HTTP_REQUEST_URI_TOO_LONG,
        "request target longer than " + std::to_string(options_.max_uri_length) + " bytes");
  }
  size_t header_bytes = 0;
  for (const auto& field : request) header_bytes += field.first.size() + field.second.size() + 4;
  if (header_bytes > options_.max_header_bytes) {
    response.setKeepAlive(false);
    return send_error(response, HTTPResponse::HTTPStatus(431),
                      "request header fields larger than " +
                          std::to_string(options_.max_header_bytes) + " bytes");
  }
  if (!consume_body(request)) {
    response.setKeepAlive(false);
    return send_error(
        response, HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE,
        "request body larger than " + std::to_string(options_.max_body_bytes) + " bytes");
  }

  // Before credentials and routes: a rebinding page must learn nothing, not even a 401.
  const std::string& host = request.get(kHost, kEmpty);
  if (!hosts_.allowed(host)) {
    response.setKeepAlive(false);
    return send_error(
        response, HTTPResponse::HTTP_FORBIDDEN,
        "host not allowed: " + host.substr(0, 100) + " (add it to server.allowed_hosts)");
  }
  if (apply_cors(request, response)) return;

  const std::string_view target = uri;
  const size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  const std::string& method = request.getMethod();
  const bool get =
      method == Poco::Net::HTTPRequest::HTTP_GET || method == Poco::Net::HTTPRequest::HTTP_HEAD;

  const bool known = path == kCurrentPath || path == kHistoryPath || path == kAlertsPath ||
                     path == kHealthPath || path == kReportPath || path == kWsPath ||
                     path == kMetricsPath || path == kLivenessPath || path == kDashboardPath ||
                     starts_with(path, kAssetsPrefix);
  // /health stays open for liveness probes; everything else, even a 404, first needs credentials,
  // so that an anonymous client learns nothing about the routes.
  if (path != kLivenessPath && !auth_.authorized(request.get(kAuthorization, kEmpty))) {
    response.set("WWW-Authenticate", auth_.challenge());
    return send_error(response, HTTPResponse::HTTP_UNAUTHORIZED, "authentication required");
  }
  // The page's URLs are relative, so it must be loaded as /monitoring exactly; relative
  // redirects keep working behind a proxy that adds a path prefix.
  if (get && (path == "/" || path == "/monitoring/")) {
    return response.redirect(path == "/" ? "monitoring" : "../monitoring",
                             HTTPResponse::HTTP_FOUND);
  }
  if (!known)
    return send_error(response, HTTPResponse::HTTP_NOT_FOUND,
                      "no such endpoint: " + std::string(path));
  if (!get) {
    response.set(kAllow, kAllowGet);
    return send_error(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED,
                      "method " + method + " not allowed; use GET");
  }

  if (path == kCurrentPath) return documents_.get(View::kCurrent)->send(request, response);
  if (path == kMetricsPath) return documents_.get(View::kMetrics)->send(request, response);
  if (path == kHistoryPath) return serve_history(query, request, response);
  if (path == kReportPath) return serve_report(query, response);
  if (path == kAlertsPath) return send_json(response, documents_.render(View::kAlerts));
  if (path == kHealthPath) return send_json(response, documents_.render(View::kHealth));
  if (path == kLivenessPath) {
    return send_bytes(response, HTTPResponse::HTTP_OK, kJson, kNoStore, kLivenessBody.data(),
                      kLivenessBody.size());
  }
  if (path == kWsPath) return serve_websocket(request, response);
  const Asset* asset = find_asset(path);
  if (!asset)
    return send_error(response, HTTPResponse::HTTP_NOT_FOUND,
                      "no such asset: " + std::string(path));
  send_bytes(response, HTTPResponse::HTTP_OK, std::string(asset->content_type), kNoCache,
             asset->body.data(), asset->body.size());
}

namespace {

// The value of `minutes=` in a query string, if present.
std::optional<std::string_view> minutes_parameter(std::string_view query) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == "minutes")
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
  }
  return std::nullopt;
}

}  // namespace

// The same file `resync-mon report` writes, of the live monitor; rendered per request (rare, and
// about a millisecond for a full window), never cached.
void Router::serve_report(std::string_view query, HTTPServerResponse& response) {
  const std::optional<std::string_view> minutes = minutes_parameter(query);
  size_t rows = SIZE_MAX;
  if (minutes) {
    try {
      rows = history_rows(*minutes, window_minutes_, monitor_.config().interval);
    } catch (const std::invalid_argument& e) {
      return send_error(response, HTTPResponse::HTTP_BAD_REQUEST, e.what());
    }
  }
  ReportOptions o;
  o.minutes = minutes ? static_cast<int>(rows * monitor_.config().interval.count() / 60000) : 0;
  o.source = "live monitor";
  const std::string body = render_report(monitor_.snapshot(rows), o);
  response.set("Content-Disposition", "inline; filename=\"resync-mon-report.html\"");
  send_bytes(response, HTTPResponse::HTTP_OK, "text/html; charset=utf-8", kNoStore, body.data(),
             body.size());
}

void Router::serve_history(std::string_view query, HTTPServerRequest& request,
                           HTTPServerResponse& response) {
  const std::optional<std::string_view> minutes = minutes_parameter(query);
  size_t rows = SIZE_MAX;
  if (minutes) {
    try {
      rows = history_rows(*minutes, window_minutes_, monitor_.config().interval);
    } catch (const std::invalid_argument& e) {
      return send_error(response, HTTPResponse::HTTP_BAD_REQUEST, e.what());
    }
  }
  if (rows >= monitor_.store().capacity())
    return documents_.get(View::kHistory)->send(request, response);
  documents_.history_window(rows)->send(request, response);
}

void Router::serve_websocket(HTTPServerRequest& request, HTTPServerResponse& response) {
  if (!request.hasToken("Connection", "upgrade") ||
      !iequals(request.get("Upgrade", kEmpty), "websocket")) {
    return send_error(response, HTTPResponse::HTTP_BAD_REQUEST,
                      "expected a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)");
  }
  const std::string& origin = request.get(kOrigin, kEmpty);
  if (!origin_allowed(origin, request.get(kHost, kEmpty), options_.allowed_origins)) {
    return send_error(response, HTTPResponse::HTTP_FORBIDDEN,
                      "WebSocket origin not allowed: " + origin);
  }
  if (!ws_.try_reserve()) {
    return send_error(
        response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
        "too many WebSocket clients (limit " + std::to_string(options_.max_ws_clients) + ")");
  }
  try {
    // Answers 101 and detaches the socket from this HTTP session, so this thread goes back to
    // the pool as soon as the broadcaster has it.
    ws_.add(std::make_unique<Poco::Net::WebSocket>(request, response));
  } catch (const Poco::Exception& e) {
    ws_.release();
    if (!response.sent())
      send_error(response, HTTPResponse::HTTP_BAD_REQUEST, "WebSocket handshake: " + e.message());
  }
}

}  // namespace resync::server::detail

// SPDX-License-Identifier: MIT
#include "router.hpp"

#include "resync/views/html_report.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/SHA1Engine.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "http_text.hpp"
#include "resync/assets.hpp"
#include "resync/json_writer.hpp"
#include "resync/log.hpp"
#include "resync/views/prometheus_text.hpp"
#include "routes.hpp"

namespace resync::server::detail {
namespace {

constexpr std::string_view kJson = "application/json";

bool known(std::string_view path) {
  return path == kCurrentPath || path == kHistoryPath || path == kAlertsPath ||
         path == kHealthPath || path == kReportPath || path == kLayoutPath || path == kWindowPath ||
         path == kWsPath || path == kMetricsPath || path == kLivenessPath ||
         path == kDashboardPath || starts_with(path, kAssetsPrefix);
}

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

const char* view_key(View view) {
  switch (view) {
    case View::kCurrent:
      return "current";
    case View::kHistory:
      return "history";
    case View::kLayout:
      return "layout";
    case View::kWindow:
      return "window";
    default:
      return "metrics";
  }
}

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

std::string websocket_accept(std::string_view key) {
  Poco::SHA1Engine sha1;
  sha1.update(key.data(), static_cast<unsigned>(key.size()));
  sha1.update(std::string_view("258EAFA5-E914-47DA-95CA-C5AB0DC85B11").data(), 36);
  const Poco::DigestEngine::Digest& digest = sha1.digest();
  std::ostringstream out;
  Poco::Base64Encoder base64(out);
  base64.write(reinterpret_cast<const char*>(digest.data()),
               static_cast<std::streamsize>(digest.size()));
  base64.close();
  return out.str();
}

Router::Router(const Monitor& monitor, const HttpServerOptions& options, DocumentCache& documents,
               WsBroadcaster& ws)
    : monitor_(monitor),
      options_(options),
      chain_(std::make_shared<const PolicyChain>(options)),
      window_minutes_(std::max<int64_t>(1, (monitor.config().window.count() + 59999) / 60000)),
      documents_(documents),
      ws_(ws) {}

namespace {

// What a credential check on the pool returns to finish(): one of these two, told apart by
// address, never sent.
const std::shared_ptr<const Document>& verdict_document(bool granted) {
  static const auto yes = std::make_shared<const Document>("text/plain", "granted", 0, false);
  static const auto no = std::make_shared<const Document>("text/plain", "denied", 0, false);
  return granted ? yes : no;
}

}  // namespace

// A password hash costs tens of milliseconds: checked on the render pool, a few at a time, never
// on the loop. A client beyond that bound (most likely guessing) is told to come back.
std::optional<Render> Router::verify(const Request& r, Answer& out,
                                     std::shared_ptr<const PolicyChain> chain) {
  if (!chain->auth().try_begin_verify()) {
    out.fields.append("Retry-After: 1\r\n");
    out.set_error(429, "too many password checks in progress; retry in a second");
    return std::nullopt;
  }
  return Render{"", [chain = std::move(chain), header = std::string(r.get("Authorization"))] {
                  const AuthPolicy& auth = chain->auth();
                  struct End {
                    const AuthPolicy& auth;
                    ~End() { auth.end_verify(); }
                  } end{auth};
                  return verdict_document(auth.verify(header));
                }};
}

void Router::set_policies(const HttpServerOptions& options) {
  std::atomic_store(&chain_, std::make_shared<const PolicyChain>(options));
}

std::optional<Render> Router::route(const Request& r, Answer& out, bool authenticated) {
  out.head_only = r.is_head();
  std::shared_ptr<const PolicyChain> chain = std::atomic_load(&chain_);
  switch (chain->apply(r, out, authenticated)) {
    case PolicyChain::Outcome::kAnswered:
      return std::nullopt;
    case PolicyChain::Outcome::kVerify:
      return verify(r, out, std::move(chain));
    case PolicyChain::Outcome::kContinue:
      break;
  }
  // The page's URLs are relative, so it must be loaded as /monitoring exactly; relative
  // redirects keep working behind a proxy that adds a path prefix.
  if (r.is_get() && (r.path == "/" || r.path == "/monitoring/")) {
    out.status = 302;
    out.fields.append("Location: ").append(r.path == "/" ? "monitoring" : "../monitoring");
    out.fields.append("\r\n");
    return std::nullopt;
  }
  if (!known(r.path)) {
    out.set_error(404, "no such endpoint: " + std::string(r.path));
    return std::nullopt;
  }
  if (!r.is_get()) {
    out.fields.append("Allow: GET, HEAD\r\n");
    out.set_error(405, "method " + std::string(r.head.method) + " not allowed; use GET");
    return std::nullopt;
  }
  const size_t policy_fields = out.fields.size();
  try {
    return dispatch(r, out);
  } catch (const std::exception& e) {
    log_error(std::string("HTTP handler: ") + e.what());
    out.fields.resize(policy_fields);
    out.body.clear();
    out.set_error(500, "internal error");
    return std::nullopt;
  }
}

std::optional<Render> Router::dispatch(const Request& r, Answer& out) {
  if (r.path == kCurrentPath) return cached(View::kCurrent, r, out);
  if (r.path == kMetricsPath) return cached(View::kMetrics, r, out);
  if (r.path == kLayoutPath) return cached(View::kLayout, r, out);
  if (r.path == kWindowPath) return cached(View::kWindow, r, out);
  if (r.path == kHistoryPath) return history(r, out);
  if (r.path == kReportPath) return report(r, out);
  // Small views: rendered here, in microseconds, per request.
  if (r.path == kAlertsPath) {
    out.set_body(200, kJson, "no-store", documents_.render(View::kAlerts));
  } else if (r.path == kHealthPath) {
    out.set_body(200, kJson, "no-store", documents_.render(View::kHealth));
  } else if (r.path == kLivenessPath) {
    out.set_body(200, kJson, "no-store", R"({"status":"ok"})");
  } else if (r.path == kWsPath) {
    websocket(r, out);
  } else {
    asset(r, out);
  }
  return std::nullopt;
}

std::optional<Render> Router::cached(View view, const Request& r, Answer& out) {
  const bool gzip = accepts_gzip(r.get("Accept-Encoding"));
  if (auto document = documents_.fresh(view)) {
    if (!compresses_on_pool(*document, r)) {
      Document::answer(document, r.get("Accept-Encoding"), r.get("If-None-Match"), out.head_only,
                       out);
      return std::nullopt;
    }
  }
  // Requests that take gzip wait for their own render, which compresses too, off the loop.
  return Render{std::string(view_key(view)) + (gzip ? "+gzip" : ""),
                [this, view, gzip] { return compressed(documents_.get(view), gzip); }};
}

bool Router::compresses_on_pool(const Document& document, const Request& r) {
  return document.body().size() > kCompressOnLoopBytes &&
         document.would_compress(r.get("Accept-Encoding"), r.get("If-None-Match"));
}

std::shared_ptr<const Document> Router::compressed(std::shared_ptr<const Document> document,
                                                   bool gzip) {
  if (gzip && document->body().size() > kCompressOnLoopBytes) document->gzip_body();
  return document;
}

std::optional<size_t> Router::rows_of(const Request& r, Answer& out) const {
  const std::optional<std::string_view> minutes = minutes_parameter(r.query);
  if (!minutes) return SIZE_MAX;
  try {
    return history_rows(*minutes, window_minutes_, monitor_.interval());
  } catch (const std::invalid_argument& e) {
    out.set_error(400, e.what());
    return std::nullopt;
  }
}

std::optional<Render> Router::history(const Request& r, Answer& out) {
  const std::optional<size_t> rows = rows_of(r, out);
  if (!rows) return std::nullopt;
  if (*rows >= monitor_.capacity()) return cached(View::kHistory, r, out);
  const size_t n = *rows;
  const bool gzip = accepts_gzip(r.get("Accept-Encoding"));
  return Render{"history:" + std::to_string(n) + (gzip ? "+gzip" : ""),
                [this, n, gzip] { return compressed(documents_.history_window(n), gzip); }};
}

// The same file `resync-mon report` writes, of the live monitor; rendered per request (rare, and
// about a millisecond for a full window), never cached.
std::optional<Render> Router::report(const Request& r, Answer& out) {
  const std::optional<size_t> rows = rows_of(r, out);
  if (!rows) return std::nullopt;
  const size_t n = *rows;
  const bool whole = !minutes_parameter(r.query);
  return Render{"", [this, n, whole] {
                  views::ReportOptions o;
                  o.minutes = whole ? 0 : static_cast<int>(n * monitor_.interval().count() / 60000);
                  o.source = "live monitor";
                  return std::make_shared<const Document>(
                      "text/html; charset=utf-8", views::render_report(monitor_.snapshot(n), o),
                      documents_.generation(), false);
                }};
}

std::optional<Render> Router::finish(const Request& r,
                                     const std::shared_ptr<const Document>& document, Answer& out) {
  if (document == verdict_document(true)) {
    out = Answer();  // routed afresh, policies included, now as authenticated
    return route(r, out, true);
  }
  if (document == verdict_document(false)) {
    std::atomic_load(&chain_)->deny(out);
    return std::nullopt;
  }
  if (!document) {
    out.set_error(500, "internal error");
    return std::nullopt;
  }
  if (r.path == kReportPath) {
    out.fields.append("Content-Disposition: inline; filename=\"resync-mon-report.html\"\r\n");
    out.set_body(200, "text/html; charset=utf-8", "no-store", std::string(document->body()));
    return std::nullopt;
  }
  Document::answer(document, r.get("Accept-Encoding"), r.get("If-None-Match"), out.head_only, out);
  return std::nullopt;
}

void Router::websocket(const Request& r, Answer& out) {
  if (!has_token(r.get("Connection"), "upgrade") || !iequals(r.get("Upgrade"), "websocket")) {
    return out.set_error(400,
                         "expected a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)");
  }
  const std::string_view version = r.get("Sec-WebSocket-Version");
  const std::string_view key = trim(r.get("Sec-WebSocket-Key"));
  if (version.empty())
    return out.set_error(400, "WebSocket handshake: missing Sec-WebSocket-Version");
  if (version != "13") {
    return out.set_error(
        400, "WebSocket handshake: unsupported version " + std::string(version.substr(0, 16)));
  }
  if (key.empty()) return out.set_error(400, "WebSocket handshake: missing Sec-WebSocket-Key");
  if (!ws_.try_reserve()) {
    return out.set_error(
        503, "too many WebSocket clients (limit " + std::to_string(options_.max_ws_clients) + ")");
  }
  out.status = 101;
  out.upgrade = true;
  out.fields.append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ");
  out.fields.append(websocket_accept(key)).append("\r\n");
}

// Assets are Documents too, built once: ETag, 304 and gzip come with them.
void Router::asset(const Request& r, Answer& out) {
  const Asset* a = find_asset(r.path);
  if (!a) return out.set_error(404, "no such asset: " + std::string(r.path));
  std::shared_ptr<const Document> document;
  {
    std::lock_guard lock(assets_mutex_);
    auto& slot = assets_[a->path];
    if (!slot)
      slot = std::make_shared<const Document>(a->content_type, std::string(a->body), 0, true);
    document = slot;
  }
  Document::answer(document, r.get("Accept-Encoding"), r.get("If-None-Match"), out.head_only, out);
}

}  // namespace resync::server::detail

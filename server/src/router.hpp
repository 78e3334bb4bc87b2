// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "answer.hpp"
#include "document_cache.hpp"
#include "policy_chain.hpp"
#include "request_head.hpp"
#include "resync/monitor.hpp"
#include "resync/server/http_server.hpp"
#include "ws_broadcaster.hpp"

namespace resync::server::detail {

/// A render a request needs before it can be answered; it runs on the render pool.
struct Render {
  /// Requests with the same non-empty key wait for one render (single flight); "" = this
  /// request's own.
  std::string key;
  /// Returns the rendered document; may throw (the request then gets a 500).
  std::function<std::shared_ptr<const Document>()> job;
};

/// Answers the requests of SPEC section 7, after the PolicyChain: ready documents, assets, small
/// JSON views and refusals at once (on the connection loop's thread), or a Render for what takes
/// time (a stale cached view, a partial /history, the HTML report), completed by finish().
///
/// Thread-safe: every method from any thread.
class Router {
 public:
  /// Everything is borrowed and must outlive the router.
  Router(const Monitor& monitor, const HttpServerOptions& options, DocumentCache& documents,
         WsBroadcaster& ws);

  /// Fills `out` with the answer to `request`, or returns the render it waits for (a document, or
  /// a password check). `authenticated`: a password check said yes already.
  std::optional<Render> route(const Request& request, Answer& out, bool authenticated = false);
  /// Completes the answer route() deferred, with what its render returned (null: it threw), or,
  /// after a password check that passed, returns the render the request waits for next.
  std::optional<Render> finish(const Request& request,
                               const std::shared_ptr<const Document>& document, Answer& out);
  /// Replaces the policies (auth, Host, CORS, WebSocket Origin) for the requests that follow;
  /// `options.bind` must be the one the router was made with. Upgraded WebSockets stay.
  void set_policies(const HttpServerOptions& options);

 private:
  std::optional<Render> dispatch(const Request& request, Answer& out);
  std::optional<Render> verify(const Request& request, Answer& out,
                               std::shared_ptr<const PolicyChain> chain);
  std::optional<Render> cached(View view, const Request& request, Answer& out);
  std::optional<Render> history(const Request& request, Answer& out);
  std::optional<Render> report(const Request& request, Answer& out);
  void websocket(const Request& request, Answer& out);
  void asset(const Request& request, Answer& out);
  /// Bodies up to this size are compressed where they are answered (on the loop: tens of µs).
  static constexpr size_t kCompressOnLoopBytes = 16384;
  static bool compresses_on_pool(const Document& document, const Request& request);
  /// `document`, its gzip variant built first when `gzip` and the body is large (on the pool).
  static std::shared_ptr<const Document> compressed(std::shared_ptr<const Document> document,
                                                    bool gzip);
  /// Rows of ?minutes=, SIZE_MAX without it; nullopt after answering a bad value with 400.
  std::optional<size_t> rows_of(const Request& request, Answer& out) const;

  const Monitor& monitor_;
  const HttpServerOptions& options_;
  // Replaced whole by set_policies() (a reload) while requests are routed: read with
  // std::atomic_load, so a request and its password check see one chain.
  std::shared_ptr<const PolicyChain> chain_;
  const int64_t window_minutes_;
  DocumentCache& documents_;
  WsBroadcaster& ws_;
  std::mutex assets_mutex_;
  std::map<std::string_view, std::shared_ptr<const Document>> assets_;  // built on first request
};

/// Rows of /history?minutes=`text`: minutes * 60 s / interval. Throws std::invalid_argument
/// with the message served in the 400 when `text` is not an integer in 1..max_minutes.
size_t history_rows(std::string_view text, int64_t max_minutes, std::chrono::milliseconds interval);
/// {"error": message, "status": status}
std::string error_json(int status, std::string_view message);
/// The Sec-WebSocket-Accept of a handshake's Sec-WebSocket-Key (RFC 6455 4.2.2).
std::string websocket_accept(std::string_view key);

}  // namespace resync::server::detail

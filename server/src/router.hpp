// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth_policy.hpp"
#include "document_cache.hpp"
#include "host_policy.hpp"
#include "resync/monitor.hpp"
#include "resync/server/http_server.hpp"
#include "ws_broadcaster.hpp"

namespace resync::server::detail {

/// Answers one HTTP request of SPEC section 7: request limits, authentication, the route, then
/// the cached document, a per-request one, an asset or the WebSocket upgrade.
///
/// Thread-safe: handle() from every HTTP worker at once.
class Router {
 public:
  /// Everything is borrowed and must outlive the router.
  Router(const Monitor& monitor, const HttpServerOptions& options, DocumentCache& documents,
         WsBroadcaster& ws);

  void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
  /// A factory for Poco's HTTPServer whose handlers call handle() and turn an exception into a
  /// logged 500.
  Poco::Net::HTTPRequestHandlerFactory::Ptr factory();

 private:
  bool consume_body(Poco::Net::HTTPServerRequest& request) const;
  /// Adds the CORS headers an allowed Origin gets; true when the request was a preflight, now
  /// answered.
  bool apply_cors(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
  void serve_report(std::string_view query, Poco::Net::HTTPServerResponse& response);
  void serve_history(std::string_view query, Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response);
  void serve_websocket(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response);

  const Monitor& monitor_;
  const HttpServerOptions& options_;
  const AuthPolicy auth_;
  const HostPolicy hosts_;
  const CorsPolicy cors_;
  const int64_t window_minutes_;
  DocumentCache& documents_;
  WsBroadcaster& ws_;
};

/// Rows of /history?minutes=`text`: minutes * 60 s / interval. Throws std::invalid_argument
/// with the message served in the 400 when `text` is not an integer in 1..max_minutes.
size_t history_rows(std::string_view text, int64_t max_minutes, std::chrono::milliseconds interval);
/// {"error": message, "status": status}
std::string error_json(int status, std::string_view message);

}  // namespace resync::server::detail

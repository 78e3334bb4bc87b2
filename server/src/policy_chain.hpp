// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

#include "answer.hpp"
#include "auth_policy.hpp"
#include "host_policy.hpp"
#include "request_head.hpp"
#include "resync/server/http_server.hpp"

namespace resync::server::detail {

/// The checks every request passes before its route, applied in one place and in this order:
///  1. size: header fields (names + values) over max_header_bytes get 431 and a close;
///  2. Host: a foreign Host gets 403 and a close, before anything else is said (DNS rebinding);
///  3. CORS: a listed Origin gets Access-Control-Allow-Origin and Vary on every answer that
///     follows, and a preflight is answered here (204), before auth, since it carries no
///     credentials;
///  4. auth: 401 with WWW-Authenticate on every path but /health, 404s included, so an
///     anonymous client learns nothing about the routes; a password hash to check is not
///     checked here (kVerify: the router has it done on the render pool, then applies the chain
///     again as `authenticated`, or answers deny());
///  5. WebSocket Origin: an upgrade from an Origin not allowed gets 403.
///
/// Thread-safe: immutable.
class PolicyChain {
 public:
  /// `options` is copied from.
  explicit PolicyChain(const HttpServerOptions& options);

  enum class Outcome { kContinue, kAnswered, kVerify };
  /// kAnswered when the chain answered `request` itself (`out` is then complete); otherwise `out`
  /// holds the header fields every answer to `request` carries (CORS), and the route goes on, or
  /// first has the credentials verified (kVerify). `authenticated`: verify() said yes already.
  Outcome apply(const Request& request, Answer& out, bool authenticated = false) const;
  /// The slow half of auth (a password hash), off the event loop; see AuthPolicy.
  const AuthPolicy& auth() const { return auth_; }
  /// The 401 of credentials verify() refused.
  void deny(Answer& out) const;

 private:
  const size_t max_header_bytes_;
  const HostPolicy hosts_;
  const CorsPolicy cors_;
  const AuthPolicy auth_;
  const std::vector<std::string> allowed_origins_;
};

}  // namespace resync::server::detail

// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace resync::server::detail {

/// Who may use the server: a bearer token, or a Basic user and password, or anyone.
///
/// Thread-safe: immutable.
class AuthPolicy {
 public:
  /// A non-empty `token` wins over `user`; both empty = no authentication.
  AuthPolicy(const std::string& token, const std::string& user, const std::string& password);

  bool required() const { return !scheme_.empty(); }
  /// Whether an Authorization header value carries the credentials (scheme case-insensitive,
  /// credentials compared in constant time). Always true when none are required.
  bool authorized(std::string_view authorization) const;
  /// The WWW-Authenticate value of a 401.
  const std::string& challenge() const { return challenge_; }

 private:
  std::string scheme_, credentials_, challenge_;  // empty scheme = no auth
};

/// Compares in time that depends only on `expected`'s length, not on where they differ.
bool constant_time_equals(std::string_view given, std::string_view expected);
/// Whether a WebSocket handshake with this Origin may proceed: listed in `allowed` ("*" = any),
/// or, when `allowed` is empty, the same origin as the Host header. An empty Origin (non-browser
/// client) is allowed.
bool origin_allowed(std::string_view origin, std::string_view host_header,
                    const std::vector<std::string>& allowed);

}  // namespace resync::server::detail

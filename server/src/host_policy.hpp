// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace resync::server::detail {

/// Which Host headers the server answers, against DNS rebinding: a page on evil.example whose name
/// is re-pointed at 127.0.0.1 reaches a loopback server with "Host: evil.example", which no
/// legitimate client sends.
///
/// Bound to loopback (127.0.0.0/8, ::1, "localhost"): "localhost", any loopback address, the bound
/// address and the `allowed` entries are accepted, with or without a port. Bound elsewhere (a LAN
/// address, 0.0.0.0, ::): every Host is accepted unless `allowed` is non-empty, which then applies
/// as on loopback. "*" in `allowed` accepts any Host. A request without a Host header (HTTP/1.0
/// tools; browsers always send one) is accepted.
///
/// Thread-safe: immutable.
class HostPolicy {
 public:
  HostPolicy(std::string bind_host, std::vector<std::string> allowed);
  /// The policy of a server bound to `bind` ("HOST:PORT"); a malformed one (refused later, by
  /// start()) counts as not loopback.
  static HostPolicy for_bind(const std::string& bind, std::vector<std::string> allowed);

  bool allowed(std::string_view host_header) const;

 private:
  std::string bind_host_;
  std::vector<std::string> allowed_;
  bool enforced_ = false;
};

/// Whether an address or name is loopback: "localhost", 127.0.0.0/8 or ::1.
bool is_loopback_host(std::string_view host);

/// Cross-origin reads for pages served elsewhere (`server.cors_origins`). Thread-safe: immutable.
class CorsPolicy {
 public:
  explicit CorsPolicy(std::vector<std::string> origins) : origins_(std::move(origins)) {}

  /// Whether `origin` (the request's Origin header) gets Access-Control-Allow-Origin: listed
  /// exactly (case-insensitive), or "*" listed. Never for an empty Origin.
  bool allows(std::string_view origin) const;

  static constexpr const char* kAllowMethods = "GET, HEAD, OPTIONS";
  static constexpr const char* kAllowHeaders = "Authorization, If-None-Match, Accept-Encoding";
  static constexpr const char* kMaxAge = "600";

 private:
  std::vector<std::string> origins_;
};

}  // namespace resync::server::detail

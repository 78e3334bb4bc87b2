// SPDX-License-Identifier: MIT
#include "policy_chain.hpp"

#include "http_text.hpp"
#include "routes.hpp"

namespace resync::server::detail {
namespace {

bool oversized(const Request& r, size_t limit, Answer& out) {
  size_t bytes = 0;
  for (const auto& [name, value] : r.head.fields) bytes += name.size() + value.size() + 4;
  if (bytes <= limit) return false;
  out.set_error(431, "request header fields larger than " + std::to_string(limit) + " bytes");
  out.close = true;
  return true;
}

bool foreign_host(const Request& r, const HostPolicy& hosts, Answer& out) {
  const std::string_view host = r.get("Host");
  if (hosts.allowed(host)) return false;
  out.set_error(403, "host not allowed: " + std::string(host.substr(0, 100)) +
                         " (add it to server.allowed_hosts)");
  out.close = true;
  return true;
}

// True when the request was a preflight, now answered.
bool cors(const Request& r, const CorsPolicy& policy, Answer& out) {
  const std::string_view origin = r.get("Origin");
  if (!policy.allows(origin)) return false;
  out.fields.append("Access-Control-Allow-Origin: ").append(origin).append("\r\nVary: Origin\r\n");
  if (r.head.method != "OPTIONS" || r.get("Access-Control-Request-Method").empty()) return false;
  out.status = 204;
  out.fields.append("Access-Control-Allow-Methods: ").append(CorsPolicy::kAllowMethods);
  out.fields.append("\r\nAccess-Control-Allow-Headers: ").append(CorsPolicy::kAllowHeaders);
  out.fields.append("\r\nAccess-Control-Max-Age: ").append(CorsPolicy::kMaxAge).append("\r\n");
  return true;
}

void refuse_credentials(const AuthPolicy& auth, Answer& out) {
  out.fields.append("WWW-Authenticate: ").append(auth.challenge()).append("\r\n");
  out.set_error(401, "authentication required");
}

bool foreign_ws_origin(const Request& r, const std::vector<std::string>& allowed, Answer& out) {
  if (r.path != kWsPath || r.get("Upgrade").empty()) return false;
  const std::string_view origin = r.get("Origin");
  if (origin_allowed(origin, r.get("Host"), allowed)) return false;
  out.set_error(403, "WebSocket origin not allowed: " + std::string(origin));
  return true;
}

}  // namespace

PolicyChain::PolicyChain(const HttpServerOptions& o)
    : max_header_bytes_(o.max_header_bytes),
      hosts_(HostPolicy::for_bind(o.bind, o.policies.allowed_hosts)),
      cors_(o.policies.cors_origins),
      auth_(o.policies.auth_token, o.policies.auth_user, o.policies.auth_password,
            o.policies.auth_password_hash),
      allowed_origins_(o.policies.allowed_origins) {}

PolicyChain::Outcome PolicyChain::apply(const Request& r, Answer& out, bool authenticated) const {
  if (oversized(r, max_header_bytes_, out) || foreign_host(r, hosts_, out) || cors(r, cors_, out))
    return Outcome::kAnswered;
  if (!authenticated && r.path != kLivenessPath) {
    switch (auth_.check(r.get("Authorization"))) {
      case AuthPolicy::Verdict::kAllowed:
        break;
      case AuthPolicy::Verdict::kDenied:
        refuse_credentials(auth_, out);
        return Outcome::kAnswered;
      case AuthPolicy::Verdict::kVerify:
        return Outcome::kVerify;
    }
  }
  return foreign_ws_origin(r, allowed_origins_, out) ? Outcome::kAnswered : Outcome::kContinue;
}

void PolicyChain::deny(Answer& out) const { refuse_credentials(auth_, out); }

}  // namespace resync::server::detail

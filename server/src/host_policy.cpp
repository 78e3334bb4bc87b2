// SPDX-License-Identifier: MIT
#include "host_policy.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "http_text.hpp"
#include "resync/util/host_port.hpp"

namespace resync::server::detail {

bool is_loopback_host(std::string_view host) {
  if (iequals(host, "localhost")) return true;
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, text.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

HostPolicy::HostPolicy(std::string bind_host, std::vector<std::string> allowed)
    : bind_host_(std::move(bind_host)), allowed_(std::move(allowed)) {
  const bool any = std::find(allowed_.begin(), allowed_.end(), "*") != allowed_.end();
  enforced_ = !any && (is_loopback_host(bind_host_) || !allowed_.empty());
}

HostPolicy HostPolicy::for_bind(const std::string& bind, std::vector<std::string> allowed) {
  const auto b = try_parse_host_port(bind, std::nullopt, PortZero::kAllow);
  return HostPolicy(b ? b->host : std::string(), std::move(allowed));
}

bool HostPolicy::allowed(std::string_view host_header) const {
  if (!enforced_ || host_header.empty()) return true;
  // The port is not checked: a rebinding page can name any port, and only the name differs.
  const auto h = try_parse_host_port(host_header, 80);
  if (!h) return false;
  if (is_loopback_host(h->host) || iequals(h->host, bind_host_)) return true;
  return std::any_of(allowed_.begin(), allowed_.end(),
                     [&](const std::string& a) { return iequals(a, h->host); });
}

bool CorsPolicy::allows(std::string_view origin) const {
  if (origin.empty()) return false;
  return std::any_of(origins_.begin(), origins_.end(),
                     [origin](const std::string& o) { return o == "*" || iequals(o, origin); });
}

}  // namespace resync::server::detail

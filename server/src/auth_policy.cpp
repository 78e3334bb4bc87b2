// SPDX-License-Identifier: MIT
#include "auth_policy.hpp"

#include <Poco/Base64Encoder.h>

#include <algorithm>
#include <cstdint>
#include <sstream>

#include "http_text.hpp"
#include "resync/util/host_port.hpp"

namespace resync::server::detail {
namespace {

std::string base64(const std::string& text) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << text;
  encoder.close();
  return out.str();
}

}  // namespace

AuthPolicy::AuthPolicy(const std::string& token, const std::string& user,
                       const std::string& password) {
  if (!token.empty()) {
    scheme_ = "Bearer";
    credentials_ = token;
    challenge_ = "Bearer realm=\"resync-mon\"";
  } else if (!user.empty()) {
    scheme_ = "Basic";
    credentials_ = base64(user + ":" + password);
    challenge_ = "Basic realm=\"resync-mon\", charset=\"UTF-8\"";
  }
}

bool AuthPolicy::authorized(std::string_view given) const {
  if (scheme_.empty()) return true;
  const size_t space = given.find(' ');
  if (space == std::string_view::npos || !iequals(given.substr(0, space), scheme_)) return false;
  given.remove_prefix(space);
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  return constant_time_equals(given, credentials_);
}

bool constant_time_equals(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() != expected.size() ? 1 : 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

bool origin_allowed(std::string_view origin, std::string_view host_header,
                    const std::vector<std::string>& allowed) {
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

}  // namespace resync::server::detail

// SPDX-License-Identifier: MIT
#include "bind_address.hpp"

#include <charconv>
#include <string>

#include "http_text.hpp"
#include "resync/error.hpp"
#include "resync/server/http_server.hpp"

namespace resync::server {
namespace detail {

std::optional<std::pair<std::string_view, uint32_t>> split_authority(std::string_view a, uint32_t default_port) {
  std::string_view host = a, port;
  if (starts_with(a, "[")) {
    const size_t close = a.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = a.substr(0, close + 1);
    std::string_view rest = a.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (const size_t colon = a.rfind(':'); colon != std::string_view::npos) {
    host = a.substr(0, colon);
    port = a.substr(colon + 1);
  }
  uint32_t p = default_port;
  if (!port.empty() && std::from_chars(port.data(), port.data() + port.size(), p).ptr != port.data() + port.size()) {
    return std::nullopt;
  }
  if (host.empty()) return std::nullopt;
  return std::make_pair(host, p);
}

}  // namespace detail

BindAddress parse_bind(std::string_view text, std::string_view what) {
  const auto fail = [&] {
    throw ConfigError(std::string(what) + ": expected HOST:PORT like \"127.0.0.1:8000\", got \"" + std::string(text) +
                      "\"");
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) fail();
  const auto authority = detail::split_authority(text, 0);
  if (!authority || authority->second > 65535) fail();
  std::string_view host = authority->first;
  if (detail::starts_with(host, "[")) host = host.substr(1, host.size() - 2);
  if (host.empty()) fail();
  return {std::string(host), static_cast<uint16_t>(authority->second)};
}

}  // namespace resync::server

// SPDX-License-Identifier: MIT
#include <stdexcept>
#include <string>

#include "resync/error.hpp"
#include "resync/server/http_server.hpp"
#include "resync/util/host_port.hpp"

namespace resync::server {

BindAddress parse_bind(std::string_view text, std::string_view what) {
  try {
    HostPort bind = parse_host_port(text, std::nullopt, PortZero::kAllow);
    return {std::move(bind.host), bind.port};
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string(what) + ": expected HOST:PORT like \"127.0.0.1:9882\", got \"" +
                      std::string(text) + "\" (" + e.what() + ")");
  }
}

}  // namespace resync::server

// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

// parse_bind() itself is declared in the public resync/server/http_server.hpp.
namespace resync::server::detail {

/// Host and port of an authority: "host:port", "[v6]:port" (brackets kept) or "host" (port =
/// `default_port`); nullopt when malformed. The port is not range-checked.
std::optional<std::pair<std::string_view, uint32_t>> split_authority(std::string_view authority,
                                                                     uint32_t default_port);

}  // namespace resync::server::detail

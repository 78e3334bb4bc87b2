// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace resync {

/// A network address written "HOST:PORT".
struct HostPort {
  std::string host;  ///< as written, IPv6 without its brackets: "127.0.0.1", "::1", "redis.local"
  uint16_t port = 0;
};

/// Whether port 0 ("any free port") is a valid port: yes for an address to bind, no for one to
/// connect to.
enum class PortZero { kReject, kAllow };

/// Longest text parse_host_port() reads: a 253-character DNS name, brackets and a port fit.
constexpr size_t kMaxHostPortLength = 300;

/// Parses "HOST:PORT", the one address syntax of the whole project (configuration, --bind,
/// plugin options, Host and Origin headers):
/// - HOST is a DNS name or IPv4 address of letters, digits, '.', '-' and '_', or an IPv6
///   address in brackets ("[::1]:8000", "[fe80::1%eth0]:8000"); an IPv6 address without
///   brackets is refused, since its last ':' cannot be told from the port's.
/// - PORT is decimal digits in 1..65535, or 0..65535 with PortZero::kAllow. It may be left out
///   ("HOST" or "[V6]") only when `default_port` is given, which is then used.
/// Throws std::invalid_argument whose what() says only what is wrong ("no port", "port 99999 is
/// out of range 1..65535"), for the caller to put after the key and the text it read.
HostPort parse_host_port(std::string_view text, std::optional<uint16_t> default_port = std::nullopt,
                         PortZero zero = PortZero::kReject);

/// The same rules without exceptions, for hot paths that only need a yes or no; when `error` is
/// not null, the reason parse_host_port() would give is stored there on failure.
std::optional<HostPort> try_parse_host_port(std::string_view text,
                                            std::optional<uint16_t> default_port = std::nullopt,
                                            PortZero zero = PortZero::kReject,
                                            std::string* error = nullptr);

/// "HOST:PORT" again, an IPv6 host in brackets: the inverse of parse_host_port().
std::string format_host_port(std::string_view host, uint16_t port);

}  // namespace resync

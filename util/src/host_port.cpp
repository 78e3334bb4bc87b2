// SPDX-License-Identifier: MIT
#include "resync/util/host_port.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace resync {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_name_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' ||
         c == '_';
}

// Quoted for a message; control bytes are spelled out so the message stays one readable line.
std::string shown_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u >= 0x7f) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", u);
    return std::string("'") + buf + "'";
  }
  return std::string("'") + c + "'";
}

// The address part of "[...]". Only the shape is checked; whether it is a real address is
// left to the resolver, which says so in its own words.
std::string ipv6_problem(std::string_view host) {
  const size_t percent = host.find('%');
  const std::string_view address = host.substr(0, percent);
  if (address.find(':') == std::string_view::npos ||
      !std::all_of(address.begin(), address.end(),
                   [](char c) { return is_hex(c) || c == ':' || c == '.'; })) {
    return "\"" + std::string(address) + "\" in brackets is not an IPv6 address";
  }
  if (percent != std::string_view::npos) {
    const std::string_view zone = host.substr(percent + 1);
    if (zone.empty() || !std::all_of(zone.begin(), zone.end(), is_name_char))
      return "invalid IPv6 zone after '%'";
  }
  return "";
}

std::optional<HostPort> parse(std::string_view text, std::optional<uint16_t> default_port,
                              PortZero zero, std::string& error) {
  const auto failed = [&error](std::string why) {
    error = std::move(why);
    return std::nullopt;
  };
  if (text.empty()) return failed("empty");
  if (text.size() > kMaxHostPortLength) {
    return failed("longer than " + std::to_string(kMaxHostPortLength) + " characters");
  }
  std::string_view host;
  std::optional<std::string_view> port;  // nullopt: no ':' at all
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return failed("no ']' after the IPv6 address");
    host = text.substr(1, close - 1);
    if (host.empty()) return failed("no host");
    if (std::string why = ipv6_problem(host); !why.empty()) return failed(why);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return failed("expected ':' after ']'");
      port = rest.substr(1);
    }
  } else {
    const size_t colon = text.rfind(':');
    host = text.substr(0, colon);
    if (colon != std::string_view::npos) port = text.substr(colon + 1);
    if (text.find("://") != std::string_view::npos) return failed("a URL; write only HOST:PORT");
    if (host.find(':') != std::string_view::npos &&
        std::all_of(host.begin(), host.end(),
                    [](char c) { return is_hex(c) || c == ':' || c == '.'; })) {
      return failed("write an IPv6 address in brackets, like [::1]:PORT");
    }
    if (host.empty()) return failed("no host");
    if (const auto bad = std::find_if_not(host.begin(), host.end(), is_name_char);
        bad != host.end()) {
      return failed("invalid character " + shown_char(*bad) + " in host");
    }
  }

  HostPort out{std::string(host), 0};
  if (!port) {
    if (!default_port) return failed("no port");
    out.port = *default_port;
    return out;
  }
  if (port->empty()) return failed("no port after ':'");
  if (!std::all_of(port->begin(), port->end(), is_digit)) {
    return failed("port \"" + std::string(*port) + "\" is not a number");
  }
  const uint32_t lowest = zero == PortZero::kAllow ? 0 : 1;
  // Six digits or more can only be out of range, and must not overflow the sum below.
  uint32_t value = 65536;
  if (port->size() <= 5) {
    value = 0;
    for (char c : *port) value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value < lowest || value > 65535) {
    return failed("port " + std::string(*port) + " is out of range " + std::to_string(lowest) +
                  "..65535");
  }
  out.port = static_cast<uint16_t>(value);
  return out;
}

}  // namespace

HostPort parse_host_port(std::string_view text, std::optional<uint16_t> default_port,
                         PortZero zero) {
  std::string error;
  std::optional<HostPort> parsed = parse(text, default_port, zero, error);
  if (!parsed) throw std::invalid_argument(error);
  return std::move(*parsed);
}

std::optional<HostPort> try_parse_host_port(std::string_view text,
                                            std::optional<uint16_t> default_port, PortZero zero,
                                            std::string* error) {
  std::string why;
  std::optional<HostPort> parsed = parse(text, default_port, zero, why);
  if (!parsed && error) *error = std::move(why);
  return parsed;
}

std::string format_host_port(std::string_view host, uint16_t port) {
  const bool v6 = host.find(':') != std::string_view::npos;
  std::string out = v6 ? "[" + std::string(host) + "]" : std::string(host);
  return out + ":" + std::to_string(port);
}

}  // namespace resync

// SPDX-License-Identifier: MIT
// The HTTP server's query and routing helpers that read request bytes: /history?minutes= and the
// WebSocket Origin check. Input: "minutes\norigin\nhost\nallowed1\nallowed2...".
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "auth_policy.hpp"
#include "router.hpp"

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> parts;
  for (size_t at = 0; at <= text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    parts.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return parts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace resync::server;
  const std::vector<std::string_view> parts =
      split_lines(std::string_view(reinterpret_cast<const char*>(data), size));
  for (const auto interval : {std::chrono::milliseconds{1}, std::chrono::milliseconds{5000}}) {
    try {
      detail::history_rows(parts[0], 7 * 24 * 60, interval);
    } catch (const std::invalid_argument&) {
    }
  }
  const std::string_view origin = parts.size() > 1 ? parts[1] : std::string_view();
  const std::string_view host = parts.size() > 2 ? parts[2] : std::string_view();
  std::vector<std::string> allowed;
  for (size_t i = 3; i < parts.size(); ++i) allowed.emplace_back(parts[i]);
  detail::origin_allowed(origin, host, allowed);
  detail::origin_allowed(origin, host, {});
  detail::constant_time_equals(origin, host);
  return 0;
}

// SPDX-License-Identifier: MIT
// The api collector's access-log line parser, on every line of the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "access_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  resync::plugin::api::parse_access_log_line(text);
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    resync::plugin::api::parse_access_log_line(text.substr(at, end - at));
    at = end + 1;
  }
  return 0;
}

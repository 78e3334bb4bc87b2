// SPDX-License-Identifier: MIT
// The connection loop's request-head scanner, which reads every byte a client sends before any
// other code does, and the Host allow-list applied to what it finds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "host_policy.hpp"
#include "request_head.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace resync::server::detail;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const HostPolicy hosts("127.0.0.1", {"monitor.example"});
  HeadLimits small;
  small.max_head_bytes = 512;
  small.max_target_bytes = 64;
  small.max_fields = 8;
  small.max_name_bytes = 32;
  small.max_value_bytes = 128;
  for (const HeadLimits& limits : {HeadLimits{}, small}) {
    RequestHead head;
    std::string why;
    if (parse_request_head(text, limits, head, &why) == HeadStatus::kComplete) {
      if (head.length > text.size()) __builtin_trap();
      head.keep_alive();
      hosts.allowed(head.get("Host"));
    }
  }
  return 0;
}

// SPDX-License-Identifier: MIT
// Whole HTTP answers as bytes, for what is answered without Poco's response objects: the
// connection loop's refusals and /health, and a worker's answer to a request Poco cannot parse.
#pragma once

#include <string>
#include <string_view>

namespace resync::server::detail {

/// A complete answer with a JSON `body` (only its headers when `head_only`).
std::string json_response(int status, std::string_view body, bool keep_alive, bool head_only);

/// The bytes of a complete JSON error answer `{"error": message, "status": status}`.
std::string error_response(int status, std::string_view message, bool keep_alive);

}  // namespace resync::server::detail

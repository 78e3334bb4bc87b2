// SPDX-License-Identifier: MIT
// Whole HTTP answers as bytes, for the connection loop's refusals: answers that close the
// connection before any request reaches the Router.
#pragma once

#include <string>
#include <string_view>

namespace resync::server::detail {

/// A complete answer with a JSON `body` (only its headers when `head_only`).
std::string json_response(int status, std::string_view body, bool keep_alive, bool head_only);

/// The bytes of a complete JSON error answer `{"error": message, "status": status}`.
std::string error_response(int status, std::string_view message, bool keep_alive);

}  // namespace resync::server::detail

// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Dynamic/Var.h>

#include <optional>
#include <string>
#include <vector>

/// The `agents` collector's JSON source, apart from the plugin so a fuzz target links it.
namespace resync::plugin::agents {

/// Documents nested deeper than this are refused: Poco's parser recurses once per level.
inline constexpr int kMaxJsonDepth = 64;

/// Parses a JSON document. Throws std::runtime_error "not JSON: <why>", also for nesting deeper
/// than kMaxJsonDepth.
Poco::Dynamic::Var parse_json_document(const std::string& body);

/// The reference tokens of an RFC 6901 pointer, unescaped; nullopt when it is not one.
std::optional<std::vector<std::string>> split_pointer(const std::string& pointer);

/// The number at `tokens` in `root` (a boolean is 0 or 1, a string is read as a Prometheus
/// float), or NaN with `why` set to the reason there is none.
double resolve_number(const Poco::Dynamic::Var& root, const std::vector<std::string>& tokens,
                      std::string& why);

}  // namespace resync::plugin::agents

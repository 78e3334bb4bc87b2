// SPDX-License-Identifier: MIT
// The agents collector's JSON source: the first line is a JSON pointer (as configured), the rest
// the document a target served.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "agents_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace resync::plugin::agents;
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string pointer =
      newline == std::string::npos ? std::string() : input.substr(0, newline);
  const std::string body = newline == std::string::npos ? input : input.substr(newline + 1);
  const auto tokens = split_pointer(pointer);
  try {
    const Poco::Dynamic::Var root = parse_json_document(body);
    std::string why;
    resolve_number(root, tokens ? *tokens : std::vector<std::string>{}, why);
  } catch (const std::runtime_error&) {
  }
  return 0;
}

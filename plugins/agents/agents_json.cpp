// SPDX-License-Identifier: MIT
#include "agents_json.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <limits>
#include <stdexcept>

#include "resync/plugin/prom_text.hpp"

namespace resync::plugin::agents {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

Poco::Dynamic::Var parse_json_document(const std::string& body) {
  try {
    Poco::JSON::Parser parser;
    // Poco's parser recurses once per nesting level: bound it here, not by a library default.
    parser.setDepth(kMaxJsonDepth);
    return parser.parse(body);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("not JSON: " + e.displayText());
  }
}

std::optional<std::vector<std::string>> split_pointer(const std::string& pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') return std::nullopt;
  size_t at = 1;
  for (;;) {
    const size_t slash = pointer.find('/', at);
    const std::string raw =
        pointer.substr(at, slash == std::string::npos ? std::string::npos : slash - at);
    std::string token;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '~') {
        token += raw[i];
        continue;
      }
      // "~1" is "/" and "~0" is "~"; any other "~" is not a valid pointer.
      if (i + 1 >= raw.size() || (raw[i + 1] != '0' && raw[i + 1] != '1')) return std::nullopt;
      token += raw[++i] == '1' ? '/' : '~';
    }
    tokens.push_back(std::move(token));
    if (slash == std::string::npos) return tokens;
    at = slash + 1;
  }
}

double resolve_number(const Poco::Dynamic::Var& root, const std::vector<std::string>& tokens,
                      std::string& why) {
  Poco::Dynamic::Var at = root;
  for (const std::string& token : tokens) {
    if (at.type() == typeid(Poco::JSON::Object::Ptr)) {
      const auto object = at.extract<Poco::JSON::Object::Ptr>();
      if (!object || !object->has(token)) {
        why = "no member \"" + token + "\"";
        return kNaN;
      }
      at = object->get(token);
    } else if (at.type() == typeid(Poco::JSON::Array::Ptr)) {
      const auto array = at.extract<Poco::JSON::Array::Ptr>();
      const bool index = !token.empty() &&
                         token.find_first_not_of("0123456789") == std::string::npos &&
                         (token == "0" || token.front() != '0') && token.size() < 10;
      if (!array || !index || std::stoul(token) >= array->size()) {
        why = "no element \"" + token + "\"";
        return kNaN;
      }
      at = array->get(static_cast<unsigned>(std::stoul(token)));
    } else {
      why = "\"" + token + "\" looked up in a value that is neither an object nor an array";
      return kNaN;
    }
  }
  if (at.isEmpty()) {
    why = "null";
    return kNaN;
  }
  if (at.isBoolean()) return at.convert<bool>() ? 1.0 : 0.0;
  if (at.isNumeric()) return at.convert<double>();
  if (at.isString()) {
    const std::optional<double> v = parse_prometheus_float(at.convert<std::string>());
    if (v) return *v;
  }
  why = "not a number";
  return kNaN;
}

}  // namespace resync::plugin::agents

// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resync/config.hpp"

namespace resync::detail {

/// A configuration file as one tree, whether it was YAML or TOML, so the schema is written once.
/// Strings already have ${ENV} substituted.
struct ConfigNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };
  enum class Type { kString, kNumber, kBool, kNull };  ///< JSON type of a scalar
  Kind kind = Kind::kNull;
  Type type = Type::kNull;
  std::string scalar;
  std::vector<std::pair<std::string, ConfigNode>> map;  ///< in file order
  std::vector<ConfigNode> seq;
  int line = 0;  ///< 1-based; 0 when the parser does not say

  /// The value of `key` in a map, or nullptr.
  const ConfigNode* find(std::string_view key) const {
    for (const auto& [k, v] : map) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

/// Parses YAML or TOML text into a tree, substituting ${NAME} and ${NAME:-default} in every
/// string. Throws ConfigError naming `source`, the line and the key: for a syntax error, an unset
/// variable, a duplicate YAML key or a TOML date.
ConfigNode parse_config_tree(std::string_view text, ConfigFormat format, const std::string& source);

/// Typed reads from a ConfigNode. Every failure throws ConfigError worded
/// "<source>:<line>: <path>: <what was expected>".
class ConfigReader {
 public:
  explicit ConfigReader(std::string source) : source_(std::move(source)) {}

  const std::string& source() const { return source_; }

  [[noreturn]] void fail(int line, const std::string& key, const std::string& message) const;

  /// Requires a map whose keys are all in `allowed`.
  void check_keys(const ConfigNode& n, const std::string& path,
                  const std::vector<std::string_view>& allowed) const;
  void expect_map(const ConfigNode& n, const std::string& path) const;
  std::string string(const ConfigNode& n, const std::string& path) const;
  /// A duration like "5s" (see parse_duration()).
  std::chrono::milliseconds duration(const ConfigNode& n, const std::string& path) const;
  /// A finite number.
  double number(const ConfigNode& n, const std::string& path) const;
  /// A whole number in min..max.
  size_t count(const ConfigNode& n, const std::string& path, size_t min, size_t max) const;

 private:
  std::string source_;
};

}  // namespace resync::detail

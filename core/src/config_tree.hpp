// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
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

/// An unset ${ENV} that ConfigUse::kRead let pass: where, and the error it would have been.
struct DeferredEnv {
  std::string path;     ///< "server.auth.token"
  std::string message;  ///< the whole ConfigError text
};

/// Parses YAML or TOML text into a tree, substituting ${NAME} and ${NAME:-default} in every
/// string. Throws ConfigError naming `source`, the line and the key: for a syntax error, an unset
/// variable, a duplicate YAML key, a TOML date or a file beyond ConfigLimits. With
/// ConfigUse::kRead, an unset variable where a reader never looks (see ConfigUse) is appended to
/// `deferred` instead and reads as "".
ConfigNode parse_config_tree(std::string_view text, ConfigFormat format, const std::string& source,
                             ConfigUse use = ConfigUse::kRun,
                             std::vector<DeferredEnv>* deferred = nullptr);

/// Typed reads from a ConfigNode. Every failure throws ConfigError worded
/// "<source>:<line>: <path>: <what was expected>".
class ConfigReader {
 public:
  explicit ConfigReader(std::string source, ConfigUse use = ConfigUse::kRun,
                        std::vector<DeferredEnv>* deferred = nullptr)
      : source_(std::move(source)), use_(use), deferred_(deferred) {}

  const std::string& source() const { return source_; }

  /// Records the error of an unset variable at `key` and returns true when ConfigUse::kRead
  /// lets it pass there; false when it must be refused.
  bool defer(int line, const std::string& key, const std::string& message) const;

  [[noreturn]] void fail(int line, const std::string& key, const std::string& message) const;

  /// Requires a map whose keys are all in `allowed`.
  void check_keys(const ConfigNode& n, const std::string& path,
                  const std::vector<std::string_view>& allowed) const;
  void expect_map(const ConfigNode& n, const std::string& path) const;
  std::string string(const ConfigNode& n, const std::string& path) const;
  /// A duration like "5s" (see parse_duration()).
  std::chrono::milliseconds duration(const ConfigNode& n, const std::string& path) const;
  /// true or false.
  bool boolean(const ConfigNode& n, const std::string& path) const;
  /// A finite number.
  double number(const ConfigNode& n, const std::string& path) const;
  /// A whole number in min..max.
  size_t count(const ConfigNode& n, const std::string& path, size_t min, size_t max) const;

 private:
  std::string source_;
  ConfigUse use_;
  std::vector<DeferredEnv>* deferred_;
};

/// The key path of a value ("collectors[1].password"), computed only when an error needs it: a
/// hostile file can make paths long, and building one per value would cost quadratic time.
using PathFn = std::function<std::string()>;

/// Charges a tree being built against ConfigLimits, so an oversized or alias-expanded file is
/// refused while it is read, before anything is copied. Not thread-safe: one per parse.
class TreeBudget {
 public:
  explicit TreeBudget(const ConfigReader& reader) : reader_(reader) {}

  /// Before opening a mapping or list at `depth` (children of the root are at depth 1).
  void enter(size_t depth, int line, const PathFn& path) const;
  /// Before adding `nodes` values holding `bytes` bytes of keys and scalars.
  void charge(size_t nodes, size_t bytes, int line, const PathFn& path);
  /// One key or scalar of `size` bytes.
  void check_scalar(size_t size, int line, const PathFn& path) const;

 private:
  const ConfigReader& reader_;
  size_t nodes_ = 0;
  size_t bytes_ = 0;
};

/// `text` with ${NAME} and ${NAME:-default} replaced. Throws ConfigError at `line` and `path()`
/// for an unset variable without a default, a bad name or an unterminated "${", and when the
/// result exceeds ConfigLimits::kScalarBytes.
std::string substitute_env(std::string_view text, const ConfigReader& reader, int line,
                           const PathFn& path);

/// The JSON type YAML 1.2's core schema gives a plain (unquoted) scalar: kBool for true/false,
/// kNumber for a decimal number, else kString (the parser reports null itself).
ConfigNode::Type plain_scalar_type(std::string_view text);

/// The first document of YAML `text` as a tree, built from the parser's events (config_yaml.cpp).
ConfigNode parse_yaml_tree(std::string_view text, const ConfigReader& reader);

/// Whether `s` is non-empty and only letters, digits and characters of `extra`. By hand, since
/// std::regex recurses once per character and a long value would overflow the stack.
inline bool is_token(std::string_view s, std::string_view extra) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace resync::detail

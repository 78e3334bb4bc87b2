// SPDX-License-Identifier: MIT
#include "config_tree.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "resync/error.hpp"
#include "resync/json_writer.hpp"
#include "resync/util/duration.hpp"

namespace resync {

// Here rather than in config.cpp, which reads the schema on top of this file: every config error,
// from the tree or the schema, is formatted by the lower layer, so the two never call each other.
std::string config_message(const std::string& source, int line, const std::string& key,
                           const std::string& message) {
  std::string out = source;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

}  // namespace resync

namespace resync::detail {
namespace {

using Node = ConfigNode;

std::string join(const std::vector<std::string_view>& items) {
  std::string out;
  for (std::string_view s : items) out += (out.empty() ? "" : ", ") + std::string(s);
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// [A-Za-z_][A-Za-z0-9_]*, by hand: std::regex recurses once per character and overflows the
// stack on a name of about 100 KB.
bool is_env_name(std::string_view name) {
  if (name.empty() || is_digit(name.front())) return false;
  for (char c : name) {
    if (!(is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'))
      return false;
  }
  return true;
}

// Where a TOML value sits, as a chain of parent links; rendered only for an error message.
struct PathLink {
  const PathLink* parent = nullptr;
  std::string_view key;  // a table member, or
  size_t index = 0;      // an array element when key is empty
  bool is_index = false;
};

std::string render(const PathLink* link) {
  std::vector<const PathLink*> chain;
  for (; link != nullptr; link = link->parent) chain.push_back(link);
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if ((*it)->is_index)
      out += "[" + std::to_string((*it)->index) + "]";
    else
      out += (out.empty() ? "" : ".") + std::string((*it)->key);
  }
  return out;
}

class TomlBuilder {
 public:
  explicit TomlBuilder(const ConfigReader& reader) : reader_(reader), budget_(reader) {}

  // Recursion is bounded by ConfigLimits::kDepth, checked before each step down.
  Node build(const toml::node& t, const PathLink* at, size_t depth) {
    Node n;
    n.line = static_cast<int>(t.source().begin.line);
    const PathFn path = [at] { return render(at); };
    budget_.charge(1, 0, n.line, path);
    if (const toml::table* table = t.as_table()) {
      budget_.enter(depth + 1, n.line, path);
      n.kind = Node::Kind::kMap;
      for (auto&& [k, v] : *table) {
        const PathLink child{at, k.str()};
        budget_.check_scalar(k.str().size(), n.line, [&child] { return render(&child); });
        budget_.charge(0, k.str().size(), n.line, path);
        n.map.emplace_back(std::string(k.str()), build(v, &child, depth + 1));
      }
    } else if (const toml::array* array = t.as_array()) {
      budget_.enter(depth + 1, n.line, path);
      n.kind = Node::Kind::kSequence;
      for (size_t i = 0; i < array->size(); ++i) {
        const PathLink child{at, {}, i, true};
        n.seq.push_back(build((*array)[i], &child, depth + 1));
      }
    } else {
      n.kind = Node::Kind::kScalar;
      if (auto s = t.value_exact<std::string>()) {
        n.type = Node::Type::kString;
        budget_.check_scalar(s->size(), n.line, path);
        n.scalar = substitute_env(*s, reader_, n.line, path);
      } else if (auto b = t.value_exact<bool>()) {
        n.type = Node::Type::kBool;
        n.scalar = *b ? "true" : "false";
      } else if (auto i = t.value_exact<int64_t>()) {
        n.type = Node::Type::kNumber;
        n.scalar = std::to_string(*i);
      } else if (auto d = t.value_exact<double>()) {
        n.type = Node::Type::kNumber;
        std::string out;
        append_json_number(out, *d);
        n.scalar = out;
      } else {
        reader_.fail(n.line, path(), "dates and times are not supported here; write a string");
      }
      budget_.charge(0, n.scalar.size(), n.line, path);
    }
    return n;
  }

 private:
  const ConfigReader& reader_;
  TreeBudget budget_;
};

}  // namespace

void TreeBudget::enter(size_t depth, int line, const PathFn& path) const {
  if (depth > ConfigLimits::kDepth) {
    reader_.fail(line, path(),
                 "nested more than " + std::to_string(ConfigLimits::kDepth) + " levels deep");
  }
}

void TreeBudget::charge(size_t nodes, size_t bytes, int line, const PathFn& path) {
  // Compared before adding, so no count can wrap around.
  if (nodes > ConfigLimits::kNodes - nodes_) {
    reader_.fail(line, path(),
                 "the file holds more than " + std::to_string(ConfigLimits::kNodes) +
                     " values (aliases count once per use); refusing to expand it");
  }
  if (bytes > ConfigLimits::kTotalBytes - bytes_) {
    reader_.fail(line, path(),
                 "the file's keys and values exceed " + std::to_string(ConfigLimits::kTotalBytes) +
                     " bytes (aliases count once per use); refusing to expand it");
  }
  nodes_ += nodes;
  bytes_ += bytes;
}

void TreeBudget::check_scalar(size_t size, int line, const PathFn& path) const {
  if (size > ConfigLimits::kScalarBytes) {
    reader_.fail(line, path(),
                 "value of " + std::to_string(size) + " bytes; at most " +
                     std::to_string(ConfigLimits::kScalarBytes) + " are allowed");
  }
}

// An unset variable without a default is an error, because a silently empty password or token
// is worse than a refusal to start. The hint must lead somewhere valid: server.auth refuses an
// empty value, so `${VAR:-}` is offered only where an empty value is accepted.
void unset_variable(const std::string& var, const ConfigReader& reader, int line,
                    const std::string& key) {
  const std::string message =
      "environment variable " + var + " is not set" +
      (key.rfind("server.auth", 0) == 0
           ? " (export it where resync-mon runs, e.g. Environment= or EnvironmentFile= in its "
             "systemd unit; to serve without authentication, remove server.auth)"
           : " (export it, or write ${" + var + ":-default} to give a default)");
  if (!reader.defer(line, key, message)) reader.fail(line, key, message);
}

std::string substitute_env(std::string_view text, const ConfigReader& reader, int line,
                           const PathFn& path) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = text.find("${", i);
    if (start == std::string_view::npos) break;
    const size_t end = text.find('}', start);
    if (end == std::string_view::npos)
      reader.fail(line, path(), "unterminated ${ in \"" + std::string(text) + "\"");
    out.append(text, i, start - i);
    std::string_view name = text.substr(start + 2, end - start - 2);
    std::optional<std::string_view> fallback;
    if (const size_t dash = name.find(":-"); dash != std::string_view::npos) {
      fallback = name.substr(dash + 2);
      name = name.substr(0, dash);
    }
    if (!is_env_name(name)) {
      reader.fail(line, path(),
                  "invalid environment variable name \"" + std::string(name.substr(0, 64)) +
                      (name.size() > 64 ? "..." : "") + "\"");
    }
    const std::string var(name);
    if (const char* value = std::getenv(var.c_str()))
      out += value;
    else if (fallback)
      out += *fallback;
    else
      unset_variable(var, reader, line, path());
    i = end + 1;
    if (out.size() > ConfigLimits::kScalarBytes) break;  // checked below, before reading on
  }
  if (i < text.size()) out.append(text, i, std::string_view::npos);
  if (out.size() > ConfigLimits::kScalarBytes) {
    reader.fail(line, path(),
                "value of more than " + std::to_string(ConfigLimits::kScalarBytes) +
                    " bytes after ${...} substitution");
  }
  return out;
}

// [-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)? by hand, for the same reason as is_env_name().
Node::Type plain_scalar_type(std::string_view s) {
  if (s == "true" || s == "false") return Node::Type::kBool;
  if (s == "null" || s == "~") return Node::Type::kNull;
  size_t i = 0;
  auto digits = [&] {
    const size_t from = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i - from;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t mantissa = digits();
  if (i < s.size() && s[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) return Node::Type::kString;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return Node::Type::kString;
  }
  return i == s.size() ? Node::Type::kNumber : Node::Type::kString;
}

ConfigNode parse_config_tree(std::string_view text, ConfigFormat format, const std::string& source,
                             ConfigUse use, std::vector<DeferredEnv>* deferred) {
  const ConfigReader reader(source, use, deferred);
  if (text.size() > ConfigLimits::kFileBytes) {
    reader.fail(0, "",
                "file of " + std::to_string(text.size()) + " bytes; at most " +
                    std::to_string(ConfigLimits::kFileBytes) + " are allowed");
  }
  if (format == ConfigFormat::kYaml) return parse_yaml_tree(text, reader);
  toml::table table;
  try {
    table = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw ConfigError(config_message(source, static_cast<int>(e.source().begin.line), "",
                                     "TOML syntax error: " + std::string(e.description())));
  }
  Node root = TomlBuilder(reader).build(table, nullptr, 0);
  root.line = 0;
  return root;
}

// A reader reads the top-level keys (state_file, window, alerts...) and which plugin each
// collector runs, never the server's settings, the notifiers or a collector's own options.
bool ConfigReader::defer(int line, const std::string& key, const std::string& message) const {
  if (use_ != ConfigUse::kRead || deferred_ == nullptr) return false;
  const bool server_or_notify = key.rfind("server", 0) == 0 || key.rfind("notify", 0) == 0;
  bool collector_option = false;
  if (key.rfind("collectors[", 0) == 0) {
    const size_t dot = key.find("].");
    const std::string option = dot == std::string::npos ? "" : key.substr(dot + 2);
    collector_option = !option.empty() && option.rfind("plugin", 0) != 0 &&
                       option.rfind("name", 0) != 0 && option.rfind("timeout", 0) != 0 &&
                       option.rfind("isolation", 0) != 0;
  }
  if (!server_or_notify && !collector_option) return false;
  deferred_->push_back({key, config_message(source_, line, key, message)});
  return true;
}

void ConfigReader::fail(int line, const std::string& key, const std::string& message) const {
  throw ConfigError(config_message(source_, line, key, message));
}

void ConfigReader::check_keys(const Node& n, const std::string& path,
                              const std::vector<std::string_view>& allowed) const {
  expect_map(n, path);
  for (const auto& [k, v] : n.map) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      fail(v.line, path.empty() ? k : path + "." + k,
           "unknown key; expected one of " + join(allowed));
    }
  }
}

void ConfigReader::expect_map(const Node& n, const std::string& path) const {
  if (n.kind != Node::Kind::kMap)
    fail(n.line, path.empty() ? "(top level)" : path, "expected a mapping of keys");
}

std::string ConfigReader::string(const Node& n, const std::string& path) const {
  if (n.kind != Node::Kind::kScalar) fail(n.line, path, "expected a single value");
  return n.scalar;
}

std::chrono::milliseconds ConfigReader::duration(const Node& n, const std::string& path) const {
  const std::string text = string(n, path);
  auto d = parse_duration(text);
  if (!d) fail(n.line, path, "expected a duration like \"5s\", got \"" + text + "\"");
  return *d;
}

bool ConfigReader::boolean(const Node& n, const std::string& path) const {
  const std::string text = string(n, path);
  if (text != "true" && text != "false")
    fail(n.line, path, "expected true or false, got \"" + text + "\"");
  return text == "true";
}

double ConfigReader::number(const Node& n, const std::string& path) const {
  const std::string text = string(n, path);
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
    fail(n.line, path, "expected a number, got \"" + text + "\"");
  }
  return v;
}

size_t ConfigReader::count(const Node& n, const std::string& path, size_t min, size_t max) const {
  const double v = number(n, path);
  if (v != std::floor(v) || v < double(min) || v > double(max)) {
    fail(n.line, path,
         "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
             ", got \"" + n.scalar + "\"");
  }
  return static_cast<size_t>(v);
}

}  // namespace resync::detail

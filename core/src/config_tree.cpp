// SPDX-License-Identifier: MIT
#include "config_tree.hpp"

#include <yaml-cpp/yaml.h>

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <regex>

#include "resync/error.hpp"
#include "resync/json_writer.hpp"
#include "resync/util/duration.hpp"

namespace resync::detail {
namespace {

using Node = ConfigNode;

std::string join(const std::vector<std::string_view>& items) {
  std::string out;
  for (std::string_view s : items) out += (out.empty() ? "" : ", ") + std::string(s);
  return out;
}

class TreeBuilder {
 public:
  explicit TreeBuilder(const ConfigReader& reader) : reader_(reader) {}

  // ${NAME} and ${NAME:-default}; an unset variable without a default is an error, because a
  // silently empty password or token is worse than a refusal to start.
  std::string substitute_env(const std::string& text, int line, const std::string& key) const {
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
      const size_t start = text.find("${", i);
      if (start == std::string::npos) break;
      const size_t end = text.find('}', start);
      if (end == std::string::npos) reader_.fail(line, key, "unterminated ${ in \"" + text + "\"");
      out.append(text, i, start - i);
      std::string name = text.substr(start + 2, end - start - 2);
      std::optional<std::string> fallback;
      if (const size_t dash = name.find(":-"); dash != std::string::npos) {
        fallback = name.substr(dash + 2);
        name.resize(dash);
      }
      static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*");
      if (!std::regex_match(name, kName)) reader_.fail(line, key, "invalid environment variable name \"" + name + "\"");
      const char* value = std::getenv(name.c_str());
      if (value) out += value;
      else if (fallback) out += *fallback;
      else reader_.fail(line, key, "environment variable " + name + " is not set (write ${" + name + ":-} to allow empty)");
      i = end + 1;
    }
    out.append(text, i, std::string::npos);
    return out;
  }

  Node from_yaml(const YAML::Node& y, const std::string& path) const {
    Node n;
    n.line = y.Mark().line >= 0 ? y.Mark().line + 1 : 0;
    switch (y.Type()) {
      case YAML::NodeType::Scalar: {
        n.kind = Node::Kind::kScalar;
        n.scalar = substitute_env(y.Scalar(), n.line, path);
        n.type = Node::Type::kString;
        if (y.Tag() == "?") {  // plain (unquoted) scalar: infer its JSON type as YAML 1.2 does
          static const std::regex kNumber(R"([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)");
          if (n.scalar == "true" || n.scalar == "false") n.type = Node::Type::kBool;
          else if (n.scalar == "null" || n.scalar == "~") n.type = Node::Type::kNull;
          else if (std::regex_match(n.scalar, kNumber)) n.type = Node::Type::kNumber;
        }
        break;
      }
      case YAML::NodeType::Sequence: {
        n.kind = Node::Kind::kSequence;
        size_t i = 0;
        for (const YAML::Node& item : y) n.seq.push_back(from_yaml(item, path + "[" + std::to_string(i++) + "]"));
        break;
      }
      case YAML::NodeType::Map: {
        n.kind = Node::Kind::kMap;
        for (auto it = y.begin(); it != y.end(); ++it) {
          const std::string key = it->first.Scalar();
          const std::string child = path.empty() ? key : path + "." + key;
          if (n.find(key)) reader_.fail(it->first.Mark().line + 1, child, "duplicate key");
          n.map.emplace_back(key, from_yaml(it->second, child));
        }
        break;
      }
      default:
        n.kind = Node::Kind::kNull;
    }
    return n;
  }

  Node from_toml(const toml::node& t, const std::string& path) const {
    Node n;
    n.line = static_cast<int>(t.source().begin.line);
    if (const toml::table* table = t.as_table()) {
      n.kind = Node::Kind::kMap;
      for (auto&& [k, v] : *table) {
        const std::string key(k.str());
        n.map.emplace_back(key, from_toml(v, path.empty() ? key : path + "." + key));
      }
    } else if (const toml::array* array = t.as_array()) {
      n.kind = Node::Kind::kSequence;
      size_t i = 0;
      for (auto&& item : *array) n.seq.push_back(from_toml(item, path + "[" + std::to_string(i++) + "]"));
    } else {
      n.kind = Node::Kind::kScalar;
      if (auto s = t.value_exact<std::string>()) {
        n.type = Node::Type::kString;
        n.scalar = substitute_env(*s, n.line, path);
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
        reader_.fail(n.line, path, "dates and times are not supported here; write a string");
      }
    }
    return n;
  }

 private:
  const ConfigReader& reader_;
};

}  // namespace

ConfigNode parse_config_tree(std::string_view text, ConfigFormat format, const std::string& source) {
  const ConfigReader reader(source);
  const TreeBuilder builder(reader);
  if (format == ConfigFormat::kYaml) {
    YAML::Node doc;
    try {
      doc = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      throw ConfigError(config_message(source, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "YAML syntax error: " + e.msg));
    }
    return builder.from_yaml(doc, "");
  }
  toml::table table;
  try {
    table = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw ConfigError(config_message(source, static_cast<int>(e.source().begin.line), "",
                                     "TOML syntax error: " + std::string(e.description())));
  }
  Node root = builder.from_toml(table, "");
  root.line = 0;
  return root;
}

void ConfigReader::fail(int line, const std::string& key, const std::string& message) const {
  throw ConfigError(config_message(source_, line, key, message));
}

void ConfigReader::check_keys(const Node& n, const std::string& path, const std::vector<std::string_view>& allowed) const {
  expect_map(n, path);
  for (const auto& [k, v] : n.map) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      fail(v.line, path.empty() ? k : path + "." + k, "unknown key; expected one of " + join(allowed));
    }
  }
}

void ConfigReader::expect_map(const Node& n, const std::string& path) const {
  if (n.kind != Node::Kind::kMap) fail(n.line, path.empty() ? "(top level)" : path, "expected a mapping of keys");
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
    fail(n.line, path, "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                           ", got \"" + n.scalar + "\"");
  }
  return static_cast<size_t>(v);
}

}  // namespace resync::detail

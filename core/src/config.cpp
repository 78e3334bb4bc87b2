// SPDX-License-Identifier: MIT
#include "resync/config.hpp"

#include <yaml-cpp/yaml.h>

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "resync/error.hpp"
#include "resync/json_writer.hpp"
#include "resync/util/duration.hpp"

namespace resync {
namespace {

constexpr size_t kMaxCapacity = 1'000'000;
constexpr auto kMinInterval = std::chrono::milliseconds{10};
constexpr auto kDefaultTimeout = std::chrono::milliseconds{2000};

constexpr std::string_view kDefaultConfig = R"(# resync-mon embedded default: the host's own metrics, default alert rules.
interval: 5s
window: 2h
server:
  bind: "127.0.0.1:8000"
collectors:
  - plugin: system
)";

// One tree for YAML and TOML, so the schema below is written once.
struct Node {
  enum class Kind { kNull, kScalar, kSequence, kMap };
  enum class Type { kString, kNumber, kBool, kNull };  // JSON type of a scalar
  Kind kind = Kind::kNull;
  Type type = Type::kNull;
  std::string scalar;
  std::vector<std::pair<std::string, Node>> map;
  std::vector<Node> seq;
  int line = 0;

  const Node* find(std::string_view key) const {
    for (const auto& [k, v] : map) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

std::string join(const std::vector<std::string_view>& items) {
  std::string out;
  for (std::string_view s : items) out += (out.empty() ? "" : ", ") + std::string(s);
  return out;
}

bool is_secret_key(std::string_view key) {
  static constexpr std::string_view kWords[] = {"password", "token", "secret", "api_key", "apikey"};
  return std::any_of(std::begin(kWords), std::end(kWords),
                     [key](std::string_view w) { return key.find(w) != std::string_view::npos; });
}

class Loader {
 public:
  explicit Loader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(int line, const std::string& key, const std::string& message) const {
    throw ConfigError(config_message(source_, line, key, message));
  }

  // ${NAME} and ${NAME:-default}; an unset variable without a default is an error, because a
  // silently empty password or token is worse than a refusal to start.
  std::string substitute_env(const std::string& text, int line, const std::string& key) const {
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
      const size_t start = text.find("${", i);
      if (start == std::string::npos) break;
      const size_t end = text.find('}', start);
      if (end == std::string::npos) fail(line, key, "unterminated ${ in \"" + text + "\"");
      out.append(text, i, start - i);
      std::string name = text.substr(start + 2, end - start - 2);
      std::optional<std::string> fallback;
      if (const size_t dash = name.find(":-"); dash != std::string::npos) {
        fallback = name.substr(dash + 2);
        name.resize(dash);
      }
      static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*");
      if (!std::regex_match(name, kName)) fail(line, key, "invalid environment variable name \"" + name + "\"");
      const char* value = std::getenv(name.c_str());
      if (value) out += value;
      else if (fallback) out += *fallback;
      else fail(line, key, "environment variable " + name + " is not set (write ${" + name + ":-} to allow empty)");
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
          if (n.find(key)) fail(it->first.Mark().line + 1, child, "duplicate key");
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
        fail(n.line, path, "dates and times are not supported here; write a string");
      }
    }
    return n;
  }

  void check_keys(const Node& n, const std::string& path, const std::vector<std::string_view>& allowed) const {
    expect_map(n, path);
    for (const auto& [k, v] : n.map) {
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        fail(v.line, path.empty() ? k : path + "." + k, "unknown key; expected one of " + join(allowed));
      }
    }
  }

  void expect_map(const Node& n, const std::string& path) const {
    if (n.kind != Node::Kind::kMap) fail(n.line, path.empty() ? "(top level)" : path, "expected a mapping of keys");
  }

  std::string string(const Node& n, const std::string& path) const {
    if (n.kind != Node::Kind::kScalar) fail(n.line, path, "expected a single value");
    return n.scalar;
  }

  std::chrono::milliseconds duration(const Node& n, const std::string& path) const {
    const std::string text = string(n, path);
    auto d = parse_duration(text);
    if (!d) fail(n.line, path, "expected a duration like \"5s\", got \"" + text + "\"");
    return *d;
  }

  double number(const Node& n, const std::string& path) const {
    const std::string text = string(n, path);
    double v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
      fail(n.line, path, "expected a number, got \"" + text + "\"");
    }
    return v;
  }

  size_t count(const Node& n, const std::string& path, size_t min, size_t max) const {
    const double v = number(n, path);
    if (v != std::floor(v) || v < double(min) || v > double(max)) {
      fail(n.line, path, "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                             ", got \"" + n.scalar + "\"");
    }
    return static_cast<size_t>(v);
  }

  void remember_secret(Config& c, const std::string& key, const std::string& value) const {
    if (is_secret_key(key) && !value.empty()) c.secrets.push_back(value);
  }

  void write_json(JsonWriter& w, const Node& n, Config& c, const std::string& key) const {
    switch (n.kind) {
      case Node::Kind::kNull: w.null(); break;
      case Node::Kind::kScalar:
        remember_secret(c, key, n.scalar);
        switch (n.type) {
          case Node::Type::kString: w.value(n.scalar); break;
          case Node::Type::kNumber: w.raw(n.scalar); break;
          case Node::Type::kBool: w.raw(n.scalar); break;
          case Node::Type::kNull: w.null(); break;
        }
        break;
      case Node::Kind::kSequence:
        w.begin_array();
        for (const Node& item : n.seq) write_json(w, item, c, key);
        w.end_array();
        break;
      case Node::Kind::kMap:
        w.begin_object();
        for (const auto& [k, v] : n.map) {
          w.key(k);
          write_json(w, v, c, k);
        }
        w.end_object();
        break;
    }
  }

  void parse_server(const Node& n, Config& c) const {
    check_keys(n, "server", {"bind", "auth", "allowed_origins", "max_ws_clients", "threads"});
    ServerConfig& s = c.server;
    if (const Node* v = n.find("bind")) {
      s.bind = string(*v, "server.bind");
      const size_t colon = s.bind.rfind(':');
      size_t port = 0;
      const bool ok = colon != std::string::npos && colon > 0 &&
                      std::from_chars(s.bind.data() + colon + 1, s.bind.data() + s.bind.size(), port).ptr ==
                          s.bind.data() + s.bind.size() &&
                      colon + 1 < s.bind.size() && port <= 65535;
      if (!ok) fail(v->line, "server.bind", "expected HOST:PORT like \"127.0.0.1:8000\", got \"" + s.bind + "\"");
    }
    if (const Node* a = n.find("auth")) {
      check_keys(*a, "server.auth", {"token", "user", "password"});
      if (const Node* v = a->find("token")) s.auth_token = string(*v, "server.auth.token");
      if (const Node* v = a->find("user")) s.auth_user = string(*v, "server.auth.user");
      if (const Node* v = a->find("password")) s.auth_password = string(*v, "server.auth.password");
      if (!s.auth_token.empty() && !s.auth_user.empty()) {
        fail(a->line, "server.auth", "set either token or user and password, not both");
      }
      if (s.auth_user.empty() != s.auth_password.empty()) {
        fail(a->line, "server.auth", "basic auth needs both user and password");
      }
      remember_secret(c, "token", s.auth_token);
      remember_secret(c, "password", s.auth_password);
    }
    if (const Node* v = n.find("allowed_origins")) {
      if (v->kind != Node::Kind::kSequence) fail(v->line, "server.allowed_origins", "expected a list of origins");
      for (size_t i = 0; i < v->seq.size(); ++i) {
        s.allowed_origins.push_back(string(v->seq[i], "server.allowed_origins[" + std::to_string(i) + "]"));
      }
    }
    if (const Node* v = n.find("max_ws_clients")) s.max_ws_clients = count(*v, "server.max_ws_clients", 0, 100000);
    if (const Node* v = n.find("threads")) s.threads = count(*v, "server.threads", 1, 1024);
  }

  void parse_collectors(const Node& n, Config& c) const {
    if (n.kind != Node::Kind::kSequence) fail(n.line, "collectors", "expected a list of collectors");
    static const std::regex kInstanceName("[A-Za-z0-9_.-]+");
    for (size_t i = 0; i < n.seq.size(); ++i) {
      const Node& e = n.seq[i];
      const std::string path = "collectors[" + std::to_string(i) + "]";
      expect_map(e, path);
      CollectorConfig cc;
      cc.key_path = path;
      cc.line = e.line;
      const Node* plugin = e.find("plugin");
      if (!plugin) fail(e.line, path + ".plugin", "missing; every collector names its plugin");
      cc.plugin = string(*plugin, path + ".plugin");
      // The name becomes a file name in the plugin folder: keep it from leaving that folder.
      static const std::regex kPluginName("[a-z0-9_]+");
      if (!std::regex_match(cc.plugin, kPluginName)) {
        fail(plugin->line, path + ".plugin", "expected a plugin name like \"cache\" ([a-z0-9_]+), got \"" + cc.plugin + "\"");
      }
      cc.name = cc.plugin;
      if (const Node* v = e.find("name")) {
        cc.name = string(*v, path + ".name");
        if (!std::regex_match(cc.name, kInstanceName)) {
          fail(v->line, path + ".name", "expected letters, digits, '_', '.' or '-', got \"" + cc.name + "\"");
        }
      }
      for (const CollectorConfig& other : c.collectors) {
        if (other.name == cc.name) {
          fail(e.line, path + ".name", "collector name \"" + cc.name + "\" is already used by " + other.key_path +
                                           "; give each instance a distinct name");
        }
      }
      if (const Node* v = e.find("timeout")) {
        cc.timeout = duration(*v, path + ".timeout");
        if (cc.timeout > c.interval) {
          fail(v->line, path + ".timeout", format_duration(cc.timeout) + " must not exceed the interval (" +
                                               format_duration(c.interval) + ")");
        }
      } else {
        cc.timeout = std::min<std::chrono::milliseconds>(kDefaultTimeout, c.interval);
      }
      std::string json;
      JsonWriter w(json);
      w.begin_object();
      w.field("name", cc.name);
      w.field("interval_ms", static_cast<int64_t>(c.interval.count()));
      w.field("timeout_ms", static_cast<int64_t>(cc.timeout.count()));
      w.field("window_ms", static_cast<int64_t>(c.window.count()));
      for (const auto& [k, v] : e.map) {
        if (k == "plugin" || k == "name" || k == "timeout") continue;
        cc.key_lines[k] = v.line;
        w.key(k);
        write_json(w, v, c, k);
      }
      w.end_object();
      cc.options_json = std::move(json);
      c.collectors.push_back(std::move(cc));
    }
  }

  AlertRule parse_rule(const Node& n, const std::string& path) const {
    check_keys(n, path, {"metric", "above", "at_least", "below", "at_most", "equals", "guard", "for"});
    AlertRule rule;
    const Node* metric = n.find("metric");
    if (!metric) fail(n.line, path + ".metric", "missing; every rule names the metric it watches");
    rule.metric = string(*metric, path + ".metric");
    rule.line = metric->line;
    rule.key_path = path;
    for (Comparison cmp : {Comparison::kAbove, Comparison::kAtLeast, Comparison::kBelow, Comparison::kAtMost,
                           Comparison::kEquals}) {
      const Node* t = n.find(to_string(cmp));
      if (!t) continue;
      const std::string tpath = path + "." + to_string(cmp);
      check_keys(*t, tpath, {"warning", "critical"});
      if (const Node* v = t->find("warning")) rule.conditions.push_back({Severity::kWarning, cmp, number(*v, tpath + ".warning")});
      if (const Node* v = t->find("critical")) rule.conditions.push_back({Severity::kCritical, cmp, number(*v, tpath + ".critical")});
    }
    if (rule.conditions.empty()) {
      fail(n.line, path, "no threshold; add above, at_least, below, at_most or equals with warning and/or critical");
    }
    if (const Node* g = n.find("guard")) {
      check_keys(*g, path + ".guard", {"metrics", "min_increase"});
      AlertGuard guard;
      const Node* metrics = g->find("metrics");
      if (!metrics || metrics->kind != Node::Kind::kSequence || metrics->seq.empty()) {
        fail(g->line, path + ".guard.metrics", "expected a list of counter metrics");
      }
      for (size_t i = 0; i < metrics->seq.size(); ++i) {
        const std::string mpath = path + ".guard.metrics[" + std::to_string(i) + "]";
        guard.metrics.push_back(string(metrics->seq[i], mpath));
      }
      if (const Node* v = g->find("min_increase")) guard.min_increase = number(*v, path + ".guard.min_increase");
      rule.guard = std::move(guard);
    }
    if (const Node* v = n.find("for")) rule.for_duration = duration(*v, path + ".for");
    return rule;
  }

  Config parse(const Node& root) const {
    Config c;
    c.source = source_;
    if (root.kind == Node::Kind::kNull) return finish(c);  // an empty file means all defaults
    check_keys(root, "", {"interval", "window", "plugin_dir", "state_file", "server", "collectors", "alerts"});
    if (const Node* v = root.find("interval")) {
      c.interval = duration(*v, "interval");
      if (c.interval < kMinInterval) fail(v->line, "interval", "must be at least " + format_duration(kMinInterval));
    }
    if (const Node* v = root.find("window")) {
      c.window = duration(*v, "window");
      if (c.window < c.interval) fail(v->line, "window", "must be at least one interval (" + format_duration(c.interval) + ")");
    }
    if (c.capacity() > kMaxCapacity) {
      fail(root.find("window") ? root.find("window")->line : 0, "window",
           format_duration(c.window) + " at " + format_duration(c.interval) + " is " + std::to_string(c.capacity()) +
               " samples; at most " + std::to_string(kMaxCapacity) + " are allowed");
    }
    if (const Node* v = root.find("plugin_dir")) c.plugin_dir = string(*v, "plugin_dir");
    if (const Node* v = root.find("state_file")) c.state_file = string(*v, "state_file");
    if (const Node* v = root.find("server")) parse_server(*v, c);
    if (const Node* v = root.find("collectors")) parse_collectors(*v, c);
    if (const Node* v = root.find("alerts")) {
      if (v->kind != Node::Kind::kSequence) fail(v->line, "alerts", "expected a list of rules");
      c.alerts.clear();
      for (size_t i = 0; i < v->seq.size(); ++i) c.alerts.push_back(parse_rule(v->seq[i], "alerts[" + std::to_string(i) + "]"));
    }
    return finish(c);
  }

  Config finish(Config& c) const {
    std::sort(c.secrets.begin(), c.secrets.end());
    c.secrets.erase(std::unique(c.secrets.begin(), c.secrets.end()), c.secrets.end());
    return c;
  }


 private:
  std::string source_;
};

}  // namespace

std::string config_message(const std::string& source, int line, const std::string& key, const std::string& message) {
  std::string out = source;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

Config parse_config(std::string_view text, ConfigFormat format, const std::string& source) {
  Loader loader(source);
  Node root;
  if (format == ConfigFormat::kYaml) {
    YAML::Node doc;
    try {
      doc = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      throw ConfigError(config_message(source, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "YAML syntax error: " + e.msg));
    }
    root = loader.from_yaml(doc, "");
  } else {
    toml::table table;
    try {
      table = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
      throw ConfigError(config_message(source, static_cast<int>(e.source().begin.line), "",
                                       "TOML syntax error: " + std::string(e.description())));
    }
    root = loader.from_toml(table, "");
    root.line = 0;
  }
  return loader.parse(root);
}

Config load_config(const std::string& path) {
  ConfigFormat format;
  const auto dot = path.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : path.substr(dot);
  if (ext == ".yaml" || ext == ".yml") format = ConfigFormat::kYaml;
  else if (ext == ".toml") format = ConfigFormat::kToml;
  else throw ConfigError(path + ": unknown configuration format; name the file .yaml, .yml or .toml");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), format, path);
}

std::string_view default_config_text() { return kDefaultConfig; }

Config default_config() { return parse_config(kDefaultConfig, ConfigFormat::kYaml, "<embedded default>"); }

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) {
    if (s.empty()) continue;
    for (size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 3)) text.replace(pos, s.size(), "***");
  }
  return text;
}

}  // namespace resync

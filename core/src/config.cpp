// SPDX-License-Identifier: MIT
#include "resync/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "config_notify.hpp"
#include "config_rules.hpp"
#include "config_server.hpp"
#include "config_tree.hpp"
#include "resync/error.hpp"
#include "resync/json_writer.hpp"
#include "resync/util/duration.hpp"

namespace resync {
namespace {

using detail::ConfigReader;
using Node = detail::ConfigNode;

constexpr size_t kMaxCapacity = 1'000'000;
constexpr auto kMinInterval = std::chrono::milliseconds{10};
constexpr auto kDefaultTimeout = std::chrono::milliseconds{2000};
// Under a second would rewrite the whole window more often than a sample arrives at common
// intervals; over a day would leave the journal holding most of the window.
constexpr auto kMinStateSaveInterval = std::chrono::milliseconds{std::chrono::seconds{1}};
constexpr auto kMaxStateSaveInterval = std::chrono::milliseconds{std::chrono::hours{24}};

// Character-class checks by hand: std::regex recurses once per character and a name of about
// 100 KB overflowed the stack.
bool all_of_class(std::string_view s, bool (*allowed)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), allowed);
}
bool plugin_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}
bool instance_name_char(char c) {
  return plugin_name_char(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
}

bool is_secret_key(std::string_view key) {
  static constexpr std::string_view kWords[] = {"password", "token", "secret", "api_key", "apikey"};
  return std::any_of(std::begin(kWords), std::end(kWords),
                     [key](std::string_view w) { return key.find(w) != std::string_view::npos; });
}

// The schema: top-level keys, server and collectors, with ConfigReader's typed reads; the alert
// rules have their own file.
class Loader : private ConfigReader {
 public:
  using ConfigReader::ConfigReader;

  // `deferred`: the unset variables ConfigUse::kRead let pass; the server and notify sections
  // holding one are left out, since their checks (an empty secret, a URL) would refuse "".
  Config parse(const Node& root, const std::vector<detail::DeferredEnv>& deferred = {}) const {
    Config c;
    c.source = source();
    bool skip_server = false, skip_notify = false;
    for (const detail::DeferredEnv& d : deferred) {
      c.unresolved.push_back(d.message);
      skip_server = skip_server || d.path.rfind("server", 0) == 0;
      skip_notify = skip_notify || d.path.rfind("notify", 0) == 0;
    }
    if (root.kind == Node::Kind::kNull) return finish(c);  // an empty file means all defaults
    check_keys(
        root, "",
        {"interval", "window", "plugin_dir", "state_file", "state_save_interval", "isolation",
         "server", "collectors", "alerts", "default_alerts", "notify", "discover"});
    if (const Node* v = root.find("interval")) {
      c.interval = duration(*v, "interval");
      if (c.interval < kMinInterval)
        fail(v->line, "interval", "must be at least " + format_duration(kMinInterval));
    }
    if (const Node* v = root.find("window")) {
      c.window = duration(*v, "window");
      if (c.window < c.interval)
        fail(v->line, "window",
             "must be at least one interval (" + format_duration(c.interval) + ")");
    }
    if (c.capacity() > kMaxCapacity) {
      fail(root.find("window") ? root.find("window")->line : 0, "window",
           format_duration(c.window) + " at " + format_duration(c.interval) + " is " +
               std::to_string(c.capacity()) + " samples; at most " + std::to_string(kMaxCapacity) +
               " are allowed");
    }
    if (const Node* v = root.find("plugin_dir")) c.plugin_dir = string(*v, "plugin_dir");
    if (const Node* v = root.find("state_file")) c.state_file = string(*v, "state_file");
    if (const Node* v = root.find("state_save_interval")) {
      c.state_save_interval = duration(*v, "state_save_interval");
      if (c.state_save_interval < kMinStateSaveInterval ||
          c.state_save_interval > kMaxStateSaveInterval) {
        fail(v->line, "state_save_interval",
             "must be from " + format_duration(kMinStateSaveInterval) + " to " +
                 format_duration(kMaxStateSaveInterval) + ", got " +
                 format_duration(c.state_save_interval));
      }
    }
    if (const Node* v = root.find("isolation")) c.isolation = isolation(*v, "isolation");
    if (const Node* v = root.find("discover")) c.discover = boolean(*v, "discover");
    if (const Node* v = root.find("server"); v && !skip_server) detail::parse_server(*this, *v, c);
    if (const Node* v = root.find("collectors")) parse_collectors(*v, c);
    if (const Node* v = root.find("alerts")) {
      if (v->seq.size() > ConfigLimits::kAlertRules) {
        fail(v->line, "alerts",
             std::to_string(v->seq.size()) + " rules; at most " +
                 std::to_string(ConfigLimits::kAlertRules) + " are allowed");
      }
      c.alerts = detail::parse_alert_rules(*this, *v);
      c.alerts_given = true;
    }
    if (const Node* v = root.find("default_alerts"))
      c.default_alerts = boolean(*v, "default_alerts");
    if (const Node* v = root.find("notify"); v && !skip_notify) detail::parse_notify(*this, *v, c);
    return finish(c);
  }

 private:
  bool boolean(const Node& n, const std::string& path) const {
    const std::string value = string(n, path);
    if (value == "true") return true;
    if (value != "false") fail(n.line, path, "expected true or false, got \"" + value + "\"");
    return false;
  }

  void remember_secret(Config& c, const std::string& key, const std::string& value) const {
    if (is_secret_key(key) && !value.empty()) c.secrets.push_back(value);
  }

  void write_json(JsonWriter& w, const Node& n, Config& c, const std::string& key) const {
    switch (n.kind) {
      case Node::Kind::kNull:
        w.null();
        break;
      case Node::Kind::kScalar:
        remember_secret(c, key, n.scalar);
        switch (n.type) {
          case Node::Type::kString:
            w.value(n.scalar);
            break;
          case Node::Type::kNumber:
            w.raw(n.scalar);
            break;
          case Node::Type::kBool:
            w.raw(n.scalar);
            break;
          case Node::Type::kNull:
            w.null();
            break;
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

  Isolation isolation(const Node& n, const std::string& path) const {
    const std::string value = string(n, path);
    if (value == "in-process") return Isolation::kInProcess;
    if (value == "process") return Isolation::kProcess;
    fail(n.line, path, "expected \"in-process\" or \"process\", got \"" + value + "\"");
  }

  void parse_collectors(const Node& n, Config& c) const {
    if (n.kind != Node::Kind::kSequence)
      fail(n.line, "collectors", "expected a list of collectors");
    if (n.seq.size() > ConfigLimits::kCollectors) {
      fail(n.line, "collectors",
           std::to_string(n.seq.size()) + " collectors; at most " +
               std::to_string(ConfigLimits::kCollectors) + " are allowed");
    }
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
      if (!all_of_class(cc.plugin, plugin_name_char)) {
        fail(plugin->line, path + ".plugin",
             "expected a plugin name like \"my_plugin\" ([a-z0-9_]+), got \"" + cc.plugin + "\"");
      }
      cc.name = cc.plugin;
      if (const Node* v = e.find("name")) {
        cc.name = string(*v, path + ".name");
        if (!all_of_class(cc.name, instance_name_char)) {
          fail(v->line, path + ".name",
               "expected letters, digits, '_', '.' or '-', got \"" + cc.name + "\"");
        }
      }
      for (const CollectorConfig& other : c.collectors) {
        if (other.name == cc.name) {
          fail(e.line, path + ".name",
               "collector name \"" + cc.name + "\" is already used by " + other.key_path +
                   "; give each instance a distinct name");
        }
      }
      if (const Node* v = e.find("timeout")) {
        cc.timeout = duration(*v, path + ".timeout");
        if (cc.timeout > c.interval) {
          fail(v->line, path + ".timeout",
               format_duration(cc.timeout) + " must not exceed the interval (" +
                   format_duration(c.interval) + ")");
        }
      } else {
        cc.timeout = std::min<std::chrono::milliseconds>(kDefaultTimeout, c.interval);
      }
      cc.isolation = c.isolation;
      if (const Node* v = e.find("isolation")) cc.isolation = isolation(*v, path + ".isolation");
      std::string json;
      JsonWriter w(json);
      w.begin_object();
      w.field("name", cc.name);
      w.field("interval_ms", static_cast<int64_t>(c.interval.count()));
      w.field("timeout_ms", static_cast<int64_t>(cc.timeout.count()));
      w.field("window_ms", static_cast<int64_t>(c.window.count()));
      for (const auto& [k, v] : e.map) {
        if (k == "plugin" || k == "name" || k == "timeout" || k == "isolation") continue;
        cc.key_lines[k] = v.line;
        w.key(k);
        write_json(w, v, c, k);
      }
      w.end_object();
      cc.options_json = std::move(json);
      c.collectors.push_back(std::move(cc));
    }
  }

  Config finish(Config& c) const {
    std::sort(c.secrets.begin(), c.secrets.end());
    c.secrets.erase(std::unique(c.secrets.begin(), c.secrets.end()), c.secrets.end());
    return c;
  }
};

}  // namespace

Config parse_config(std::string_view text, ConfigFormat format, const std::string& source,
                    ConfigUse use) {
  std::vector<detail::DeferredEnv> deferred;
  const Node root = detail::parse_config_tree(text, format, source, use, &deferred);
  return Loader(source).parse(root, deferred);
}

void require_resolved(const Config& config) {
  if (!config.unresolved.empty()) throw ConfigError(config.unresolved.front());
}

Config load_config(const std::string& path, ConfigUse use) {
  ConfigFormat format;
  const auto dot = path.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : path.substr(dot);
  if (ext == ".yaml" || ext == ".yml")
    format = ConfigFormat::kYaml;
  else if (ext == ".toml")
    format = ConfigFormat::kToml;
  else
    throw ConfigError(path + ": unknown configuration format; name the file .yaml, .yml or .toml");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  // One byte more than allowed is enough to refuse it: never read a huge file (or /dev/zero) whole.
  std::string text(ConfigLimits::kFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  text.resize(static_cast<size_t>(in.gcount()));
  return parse_config(text, format, path, use);
}

Config default_config() {
  return parse_config(default_config_text(), ConfigFormat::kYaml, "<embedded default>");
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) {
    if (s.empty()) continue;
    for (size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 3))
      text.replace(pos, s.size(), "***");
  }
  return text;
}

}  // namespace resync

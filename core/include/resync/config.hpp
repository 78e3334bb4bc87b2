// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "resync/alert_engine.hpp"
#include "resync/isolation.hpp"
#include "resync/notify.hpp"

namespace resync {

/// One entry of `collectors:`.
struct CollectorConfig {
  std::string plugin;                    ///< required
  std::string name;                      ///< instance name; defaults to the plugin name
  std::chrono::milliseconds timeout{0};  ///< deadline; resolved to min(2 s, interval) if unset
  Isolation isolation = Isolation::kInProcess;  ///< `isolation:`, else the top-level default
  /// The plugin's own keys (everything but plugin/name/timeout), with ${ENV} substituted and
  /// the host's "name", "interval_ms", "timeout_ms" and "window_ms" added: what create() gets.
  std::string options_json;
  std::string key_path;                  ///< "collectors[1]", for error messages
  int line = 0;                          ///< line of the entry in the file, 0 if unknown
  std::map<std::string, int> key_lines;  ///< plugin key -> line, to place plugin errors
};

/// The settings of `server:` read per request: who may ask (auth) and from where (Host, Origin,
/// CORS). A reload applies them to the running server (HttpServer::apply_policies); the rest of
/// ServerConfig needs a restart.
struct ServerPolicies {
  std::string auth_token;  ///< bearer token; "" = none
  std::string auth_user;   ///< basic auth user; "" = none
  std::string auth_password;
  std::string auth_password_hash;  ///< crypt(3) hash ($y$, $2b$, $6$); instead of auth_password
  /// WebSocket Origins; empty = same origin only; "*" = any
  std::vector<std::string> allowed_origins;
  /// Host header values accepted besides loopback names and the bound address (see
  /// docs/operations.md "Server hardening"); "*" = any
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> cors_origins;  ///< Origins given CORS headers; empty = no CORS
};

struct ServerConfig {
  std::string bind = "127.0.0.1:9882";  ///< HOST:PORT
  ServerPolicies policies;
  size_t max_ws_clients = 1024;
  size_t threads = 0;                                ///< HTTP worker threads; 0 = automatic
  size_t max_connections_per_client = 1024;          ///< 0 = no cap
  std::chrono::milliseconds request_timeout{10000};  ///< whole request head + body deadline
  /// `tls:` PEM files (relative paths are taken from the configuration file's folder); both
  /// empty = plain HTTP. Whether they load and match is checked by the server (check_tls_files).
  std::string tls_cert_file;
  std::string tls_key_file;
};

/// The whole configuration (SPEC section 9), validated.
struct Config {
  std::string source = "<embedded default>";  ///< file it came from, for messages
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds window{std::chrono::hours{2}};
  std::string plugin_dir;  ///< "" = default search order
  std::string state_file;  ///< "" = memory only
  /// How often the state file is saved while serving (compacting its journal); SPEC's default,
  /// StateFile::kSaveEvery.
  std::chrono::milliseconds state_save_interval{std::chrono::seconds{60}};
  Isolation isolation =
      Isolation::kInProcess;  ///< top-level `isolation:`, every collector's default
  ServerConfig server;
  std::vector<CollectorConfig> collectors;
  /// The rules under `alerts:`; the rules in effect are effective_alert_rules() (plugins.hpp).
  std::vector<AlertRule> alerts;
  bool alerts_given = false;   ///< the file has `alerts:` (even empty): it replaces the defaults
  bool default_alerts = true;  ///< `default_alerts: false` turns the built-in rules off
  NotifyConfig notify;         ///< where alert events are delivered; no notifier by default
  /// `discover:`: serve probes loopback at start and adds what needs no credentials (SPEC 8).
  /// Off unless set: a file that lists its collectors gets exactly those.
  bool discover = false;

  /// Samples the window holds: window / interval.
  size_t capacity() const { return static_cast<size_t>(window / interval); }
  /// Every secret value of the configuration (passwords, tokens), so logs and responses can
  /// be scrubbed of them.
  std::vector<std::string> secrets;
  /// Loaded with ConfigUse::kRead: the error of each ${ENV} left unset in a section a reader
  /// does not use (that section was left out). Empty for ConfigUse::kRun.
  std::vector<std::string> unresolved;
};

/// What a command needs of its configuration file.
enum class ConfigUse {
  kRun,  ///< serve, config check, sampling: every ${ENV} must be set
  /// A reader of a server or a state file: an unset ${ENV} in server.*, notify.* or a collector's
  /// own options (never read by a reader) is recorded in Config::unresolved instead of refused;
  /// server and notify are then left out, and the collector option's variable reads as "".
  kRead,
};

/// Throws ConfigError with the first of config.unresolved, if any: before anything that would use
/// a value left out by ConfigUse::kRead (sampling, serving).
void require_resolved(const Config& config);

enum class ConfigFormat { kYaml, kToml };

/// Bounds on a configuration file (SPEC section 9: every input is bounded). A file beyond any
/// of them is refused with a ConfigError naming the file, the line and the key, before the tree
/// is expanded, so a hostile file (YAML aliases nested to expand into billions of nodes) costs
/// at most a few MB and milliseconds. Each is far above what a real configuration needs.
struct ConfigLimits {
  static constexpr size_t kFileBytes = 1024 * 1024;       ///< size of the file itself
  static constexpr size_t kNodes = 100'000;               ///< values, counting each alias expansion
  static constexpr size_t kTotalBytes = 4 * 1024 * 1024;  ///< keys and values, after expansion
  static constexpr size_t kDepth = 64;                    ///< nesting of mappings and lists
  static constexpr size_t kScalarBytes = 64 * 1024;       ///< one key or value, after ${ENV}
  static constexpr size_t kCollectors = 256;              ///< entries of `collectors:`
  static constexpr size_t kAlertRules = 1000;             ///< entries of `alerts:`
};

/// Loads a YAML (.yaml, .yml) or TOML (.toml) file. Throws ConfigError whose one-line message
/// names the file, the line where known, and the key: `resync.yaml:7: collectors[1].timeout:
/// expected a duration like "5s", got "often"`.
Config load_config(const std::string& path, ConfigUse use = ConfigUse::kRun);

/// Parses configuration text; `source` names it in error messages.
Config parse_config(std::string_view text, ConfigFormat format, const std::string& source,
                    ConfigUse use = ConfigUse::kRun);

/// The configuration used when no file is given (config/default.yaml, embedded at build time).
std::string_view default_config_text();
Config default_config();

/// Replaces every occurrence of each non-empty secret in `text` by "***".
std::string redact(std::string text, const std::vector<std::string>& secrets);

/// Formats "<source>:<line>: <key>: <message>" (the line part only when line > 0).
std::string config_message(const std::string& source, int line, const std::string& key,
                           const std::string& message);

}  // namespace resync

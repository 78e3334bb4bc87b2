// SPDX-License-Identifier: MIT
#include "config_server.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "resync/password_hash.hpp"
#include "resync/util/host_port.hpp"

namespace resync::detail {
namespace {

using Node = ConfigNode;

// An auth value that comes out empty (often `${VAR:-}` with VAR unset) must not quietly turn
// authentication off for a server the operator meant to protect.
std::string secret(const ConfigReader& r, const Node& n, const std::string& path) {
  std::string value = r.string(n, path);
  if (value.empty()) {
    r.fail(n.line, path,
           "is empty; an empty secret would turn authentication off (check the environment "
           "variable it names, or remove server.auth to serve without authentication)");
  }
  return value;
}

std::vector<std::string> strings(const ConfigReader& r, const Node& n, const std::string& path,
                                 const std::string& what) {
  if (n.kind != Node::Kind::kSequence) r.fail(n.line, path, "expected a list of " + what);
  std::vector<std::string> out;
  for (size_t i = 0; i < n.seq.size(); ++i)
    out.push_back(r.string(n.seq[i], path + "[" + std::to_string(i) + "]"));
  return out;
}

void parse_auth(const ConfigReader& r, const Node& a, Config& c) {
  ServerPolicies& s = c.server.policies;
  r.check_keys(a, "server.auth", {"token", "user", "password", "password_hash"});
  if (const Node* v = a.find("token")) s.auth_token = secret(r, *v, "server.auth.token");
  if (const Node* v = a.find("user")) s.auth_user = secret(r, *v, "server.auth.user");
  if (const Node* v = a.find("password")) s.auth_password = secret(r, *v, "server.auth.password");
  if (const Node* v = a.find("password_hash")) {
    s.auth_password_hash = secret(r, *v, "server.auth.password_hash");
    if (!s.auth_password.empty())
      r.fail(a.line, "server.auth", "set either password or password_hash, not both");
    if (!password_hash_supported(s.auth_password_hash)) {
      r.fail(v->line, "server.auth.password_hash",
             "not a crypt(3) hash this system can verify; expected yescrypt ($y$...), bcrypt "
             "($2b$...) or sha512-crypt ($6$...), e.g. from `resync-mon hash-password`");
    }
  }
  if (!s.auth_token.empty() && !s.auth_user.empty()) {
    r.fail(a.line, "server.auth", "set either token or user and password, not both");
  }
  if (s.auth_user.empty() != (s.auth_password.empty() && s.auth_password_hash.empty())) {
    r.fail(a.line, "server.auth", "basic auth needs both user and password");
  }
  if (s.auth_token.empty() && s.auth_user.empty()) {
    r.fail(a.line, "server.auth",
           "set token, or user and password; to serve without authentication, remove "
           "server.auth");
  }
  for (const std::string* value : {&s.auth_token, &s.auth_password, &s.auth_password_hash}) {
    if (!value->empty()) c.secrets.push_back(*value);
  }
}

std::vector<std::string> allowed_hosts(const ConfigReader& r, const Node& n) {
  std::vector<std::string> hosts = strings(r, n, "server.allowed_hosts", "host names");
  for (size_t i = 0; i < hosts.size(); ++i) {
    std::string& h = hosts[i];
    std::string why;
    const auto parsed = try_parse_host_port(h, 80, PortZero::kReject, &why);
    if (h != "*" && (!parsed || parsed->host.empty())) {
      r.fail(n.seq[i].line, "server.allowed_hosts[" + std::to_string(i) + "]",
             "expected a host name or address like \"monitor.example\", got \"" + h + "\" (" + why +
                 ")");
    }
    // Compared without the port, as the Host header is.
    if (h != "*") h = parsed->host;
  }
  return hosts;
}

// Relative to the configuration file, as Prometheus takes its files: the service's working
// folder is rarely the one the operator wrote the file in.
void parse_tls(const ConfigReader& r, const Node& t, ServerConfig& s) {
  r.check_keys(t, "server.tls", {"cert_file", "key_file"});
  const auto file = [&](const char* key) {
    const Node* v = t.find(key);
    const std::string path = std::string("server.tls.") + key;
    if (!v) r.fail(t.line, path, "missing; TLS needs both cert_file and key_file (PEM)");
    const std::string name = r.string(*v, path);
    if (name.empty()) r.fail(v->line, path, "expected a file name, got \"\"");
    const size_t slash = r.source().rfind('/');
    return name[0] == '/' || slash == std::string::npos ? name
                                                        : r.source().substr(0, slash + 1) + name;
  };
  s.tls_cert_file = file("cert_file");
  s.tls_key_file = file("key_file");
}

void parse_limits(const ConfigReader& r, const Node& n, ServerConfig& s) {
  if (const Node* v = n.find("max_ws_clients"))
    s.max_ws_clients = r.count(*v, "server.max_ws_clients", 0, 100000);
  if (const Node* v = n.find("threads")) s.threads = r.count(*v, "server.threads", 1, 1024);
  if (const Node* v = n.find("max_connections_per_client")) {
    s.max_connections_per_client = r.count(*v, "server.max_connections_per_client", 0, 1'000'000);
  }
  if (const Node* v = n.find("request_timeout")) {
    s.request_timeout = r.duration(*v, "server.request_timeout");
    if (s.request_timeout < std::chrono::milliseconds{100} ||
        s.request_timeout > std::chrono::minutes{10}) {
      r.fail(v->line, "server.request_timeout", "expected a duration from 100ms to 10m");
    }
  }
}

}  // namespace

void parse_server(const ConfigReader& r, const Node& n, Config& c) {
  r.check_keys(n, "server",
               {"bind", "auth", "tls", "allowed_origins", "allowed_hosts", "cors_origins",
                "max_ws_clients", "threads", "max_connections_per_client", "request_timeout"});
  ServerConfig& s = c.server;
  if (const Node* v = n.find("bind")) {
    s.bind = r.string(*v, "server.bind");
    std::string why;
    if (!try_parse_host_port(s.bind, std::nullopt, PortZero::kAllow, &why)) {
      r.fail(v->line, "server.bind",
             "expected HOST:PORT like \"127.0.0.1:9882\", got \"" + s.bind + "\" (" + why + ")");
    }
  }
  if (const Node* a = n.find("auth")) parse_auth(r, *a, c);
  if (const Node* v = n.find("allowed_origins"))
    s.policies.allowed_origins = strings(r, *v, "server.allowed_origins", "origins");
  if (const Node* v = n.find("cors_origins"))
    s.policies.cors_origins = strings(r, *v, "server.cors_origins", "origins");
  if (const Node* v = n.find("allowed_hosts")) s.policies.allowed_hosts = allowed_hosts(r, *v);
  if (const Node* t = n.find("tls")) parse_tls(r, *t, s);
  parse_limits(r, n, s);
}

}  // namespace resync::detail

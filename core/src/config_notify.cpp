// SPDX-License-Identifier: MIT
#include "config_notify.hpp"

#include <algorithm>
#include <cctype>

#include "resync/http/client.hpp"
#include "resync/util/duration.hpp"

namespace resync::detail {
namespace {

using Node = ConfigNode;
using namespace std::chrono_literals;

// Header names that carry credentials; their values never reach a log or a response.
bool is_secret_header(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  static constexpr std::string_view kWords[] = {"auth",     "token",  "key",      "secret",
                                                "password", "cookie", "signature"};
  return std::any_of(std::begin(kWords), std::end(kWords),
                     [&](std::string_view w) { return name.find(w) != std::string::npos; });
}

// "https://user:pass@host/": the user info, and the password alone, are secrets.
void remember_url_secrets(const std::string& url, std::vector<std::string>& secrets) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return;
  const size_t start = scheme + 3;
  const size_t end = url.find_first_of("/?#", start);
  const size_t at = url.rfind('@', end == std::string::npos ? std::string::npos : end);
  if (at == std::string::npos || at < start) return;
  const std::string info = url.substr(start, at - start);
  secrets.push_back(info);
  if (const size_t colon = info.find(':'); colon != std::string::npos && colon + 1 < info.size()) {
    secrets.push_back(info.substr(colon + 1));
  }
}

std::chrono::milliseconds bounded_duration(const ConfigReader& r, const Node& n,
                                           const std::string& path, std::chrono::milliseconds min,
                                           std::chrono::milliseconds max) {
  const auto d = r.duration(n, path);
  if (d < min || d > max) {
    r.fail(n.line, path,
           "expected a duration from " + format_duration(min) + " to " + format_duration(max) +
               ", got \"" + n.scalar + "\"");
  }
  return d;
}

NotifierConfig parse_notifier(const ConfigReader& r, const Node& n, const std::string& path,
                              NotifierConfig::Kind kind, Config& config) {
  const bool alertmanager = kind == NotifierConfig::Kind::kAlertmanager;
  std::vector<std::string_view> keys = {"url",     "name",        "headers", "timeout", "retries",
                                        "backoff", "max_backoff", "queue",   "ca_file", "insecure"};
  if (alertmanager) keys.push_back("resend");
  r.check_keys(n, path, keys);
  NotifierConfig c;
  c.kind = kind;
  c.key_path = path;
  c.line = n.line;
  const Node* url = n.find("url");
  if (!url) {
    r.fail(
        n.line, path + ".url",
        alertmanager
            ? "missing; give Alertmanager's address like \"http://127.0.0.1:9093\""
            : "missing; give the endpoint to POST to, like \"https://hooks.example.com/resync\"");
  }
  c.url = r.string(*url, path + ".url");
  remember_url_secrets(c.url, config.secrets);
  if (const std::string why = http::check_url(c.url); !why.empty()) {
    r.fail(url->line, path + ".url", why + ", got \"" + http::display_url(c.url) + "\"");
  }
  if (const Node* v = n.find("name")) {
    c.name = r.string(*v, path + ".name");
    if (!is_token(c.name, "_.-")) {
      r.fail(v->line, path + ".name",
             "expected letters, digits, '_', '.' or '-', got \"" + c.name + "\"");
    }
  }
  if (const Node* h = n.find("headers")) {
    r.expect_map(*h, path + ".headers");
    for (const auto& [name, value] : h->map) {
      const std::string hpath = path + ".headers." + name;
      if (!is_token(name, "!#$%&'*+.^_`|~-"))
        r.fail(value.line, hpath, "not a valid HTTP header name");
      const std::string text = r.string(value, hpath);
      if (text.find_first_of("\r\n") != std::string::npos)
        r.fail(value.line, hpath, "a header value cannot span lines");
      c.headers.emplace_back(name, text);
      if (is_secret_header(name) && !text.empty()) config.secrets.push_back(text);
    }
  }
  if (const Node* v = n.find("timeout"))
    c.timeout = bounded_duration(r, *v, path + ".timeout", 10ms, 5min);
  if (const Node* v = n.find("retries")) c.retries = r.count(*v, path + ".retries", 0, 100);
  if (const Node* v = n.find("backoff"))
    c.backoff = bounded_duration(r, *v, path + ".backoff", 10ms, 1h);
  if (const Node* v = n.find("max_backoff"))
    c.max_backoff = bounded_duration(r, *v, path + ".max_backoff", 10ms, 1h);
  if (c.max_backoff < c.backoff) {
    r.fail(n.find("max_backoff") ? n.find("max_backoff")->line : n.line, path + ".max_backoff",
           "must not be shorter than backoff (" + format_duration(c.backoff) + ")");
  }
  if (const Node* v = n.find("queue")) c.queue = r.count(*v, path + ".queue", 1, 100000);
  // Alertmanager forgets an alert that is not re-posted before its endsAt, four resends ahead.
  if (const Node* v = n.find("resend"))
    c.resend = bounded_duration(r, *v, path + ".resend", 1s, 15min);
  if (const Node* v = n.find("ca_file")) c.ca_file = r.string(*v, path + ".ca_file");
  if (const Node* v = n.find("insecure")) c.insecure = r.boolean(*v, path + ".insecure");
  return c;
}

}  // namespace

void parse_notify(const ConfigReader& r, const ConfigNode& n, Config& config) {
  r.check_keys(n, "notify", {"dashboard_url", "alertmanager", "webhook"});
  NotifyConfig& notify = config.notify;
  if (const Node* v = n.find("dashboard_url")) {
    notify.dashboard_url = r.string(*v, "notify.dashboard_url");
    if (const std::string why = http::check_url(notify.dashboard_url); !why.empty()) {
      r.fail(v->line, "notify.dashboard_url", why + ", got \"" + notify.dashboard_url + "\"");
    }
  }
  for (const auto kind : {NotifierConfig::Kind::kAlertmanager, NotifierConfig::Kind::kWebhook}) {
    const std::string key =
        kind == NotifierConfig::Kind::kAlertmanager ? "alertmanager" : "webhook";
    const Node* v = n.find(key);
    if (!v) continue;
    // One notifier as a map, or several as a list of maps.
    if (v->kind == Node::Kind::kSequence) {
      for (size_t i = 0; i < v->seq.size(); ++i) {
        notify.notifiers.push_back(parse_notifier(
            r, v->seq[i], "notify." + key + "[" + std::to_string(i) + "]", kind, config));
      }
    } else {
      notify.notifiers.push_back(parse_notifier(r, *v, "notify." + key, kind, config));
    }
  }
  // Unnamed notifiers take their kind's name, numbered from the second on.
  std::map<std::string, int> used;
  for (NotifierConfig& c : notify.notifiers) {
    if (!c.name.empty()) continue;
    const std::string base =
        c.kind == NotifierConfig::Kind::kAlertmanager ? "alertmanager" : "webhook";
    const int k = ++used[base];
    c.name = k == 1 ? base : base + "-" + std::to_string(k);
  }
  for (size_t i = 0; i < notify.notifiers.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (notify.notifiers[i].name == notify.notifiers[j].name) {
        r.fail(notify.notifiers[i].line, notify.notifiers[i].key_path + ".name",
               "notifier name \"" + notify.notifiers[i].name + "\" is already used by " +
                   notify.notifiers[j].key_path);
      }
    }
  }
}

}  // namespace resync::detail

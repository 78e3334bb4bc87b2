// SPDX-License-Identifier: MIT
#include "discover.hpp"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <thread>
#include <utility>

#include "discover_probes.hpp"
#include "resync/error.hpp"

namespace resync::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> split(const std::string& text, char by) {
  std::vector<std::string> parts;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t end = std::min(text.find(by, at), text.size());
    if (end > at) parts.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return parts;
}

std::vector<uint16_t> parse_ports(const std::string& key, const std::string& list) {
  std::vector<uint16_t> ports;
  for (const std::string& p : split(list, ',')) {
    char* end = nullptr;
    const long n = std::strtol(p.c_str(), &end, 10);
    if (*end != '\0' || n < 1 || n > 65535) {
      throw ConfigError("RESYNC_MON_DISCOVER: " + key + ": expected ports like 6379,6380, got \"" +
                        list + "\"");
    }
    ports.push_back(static_cast<uint16_t>(n));
  }
  return ports;
}

std::string join_ports(const std::vector<uint16_t>& ports) {
  std::string out;
  for (uint16_t p : ports) out += (out.empty() ? "" : ", ") + std::to_string(p);
  return out.empty() ? "none" : out;
}

// The first instance of a plugin takes its plain name, the others their port: the names stay
// stable when a second service appears.
std::string instance_name(const std::string& base, uint16_t port, bool first) {
  return first ? base : base + "_" + std::to_string(port);
}

std::vector<Finding> probe_http(uint16_t port, probe::Deadline deadline, bool first) {
  std::vector<Finding> found;
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const std::string resync = port == 8000 ? " (Resync's port)" : "";
  const probe::PrometheusAnswer prom = probe::prometheus(port, deadline);
  if (prom.requests) {
    found.push_back({"Prometheus text with http_requests_total at " + base + "/metrics" + resync,
                     "api",
                     "{plugin: api, name: " + instance_name("api", port, first) +
                         ", source: prometheus, url: \"" + base + "/metrics\"}",
                     false, ""});
  }
  // The agents plugin's json source reads each series at its own /current field by default,
  // which is where Resync's /api/monitoring/current has it: no pointers to write here.
  if (probe::resync_current(port, deadline)) {
    found.push_back({"Resync's agent and LLM counters at " + base + "/api/monitoring/current",
                     "agents",
                     "{plugin: agents, name: " + instance_name("agents", port, first) +
                         ", source: json, url: \"" + base + "/api/monitoring/current\"}",
                     false, ""});
  }
  return found;
}

std::vector<Finding> probe_redis(uint16_t port, probe::Deadline deadline, bool first) {
  const probe::RedisAnswer answer = probe::redis(port, deadline);
  if (answer == probe::RedisAnswer::kNone) return {};
  const std::string where = "127.0.0.1:" + std::to_string(port);
  const std::string entry = "{plugin: cache, name: " + instance_name("redis", port, first) +
                            ", source: redis, address: \"" + where + "\"";
  if (answer == probe::RedisAnswer::kOpen)
    return {{"Redis on " + where, "cache", entry + "}", false, ""}};
  return {{"Redis on " + where + " (answers NOAUTH: it needs a password)", "cache",
           entry + ", password: \"${REDIS_PASSWORD}\"}", true,
           "set REDIS_PASSWORD in the environment (/etc/resync-mon/environment for the service)"}};
}

std::vector<Finding> probe_log(const std::string& path, bool first) {
  const std::optional<std::string> unit = probe::access_log_time_unit(path);
  if (!unit) return {};
  return {{"access log " + path + " with a request time (" + *unit + ") as last field", "api",
           std::string("{plugin: api, name: ") + (first ? "access_log" : "access_log_2") +
               ", source: access_log, path: \"" + path + "\", time_unit: " + *unit + "}",
           false, ""}};
}

std::vector<Finding> probe_tws(uint16_t port, probe::Deadline deadline) {
  const std::optional<int> status = probe::tws(port, deadline);
  if (!status) return {};
  const std::string url = "https://127.0.0.1:" + std::to_string(port);
  return {{"HTTPS on 127.0.0.1:" + std::to_string(port) + " (HCL Workload Automation's port; " +
               "engine info answered HTTP " + std::to_string(*status) + ")",
           "tws",
           "{plugin: tws, url: \"" + url +
               "\", user: \"${TWS_USER}\", password: \"${TWS_PASSWORD}\", "
               "ca_file: \"${TWS_CA_FILE}\"}",
           true,
           "set TWS_USER, TWS_PASSWORD and TWS_CA_FILE (the engine's CA, PEM) in the "
           "environment"}};
}

}  // namespace

DiscoveryTargets DiscoveryTargets::from_environment() {
  DiscoveryTargets t;
  const char* spec = std::getenv("RESYNC_MON_DISCOVER");
  if (!spec) return t;
  for (const std::string& part : split(spec, ';')) {
    const size_t eq = part.find('=');
    const std::string key = part.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : part.substr(eq + 1);
    if (key == "redis") {
      t.redis_ports = parse_ports(key, value);
    } else if (key == "http") {
      t.http_ports = parse_ports(key, value);
    } else if (key == "tws") {
      t.tws_ports = parse_ports(key, value);
    } else if (key == "logs") {
      t.access_logs = split(value, ',');
    } else {
      throw ConfigError("RESYNC_MON_DISCOVER: unknown key \"" + key +
                        "\"; known: redis, http, logs, tws");
    }
  }
  return t;
}

DiscoveryResult discover(const DiscoveryTargets& targets, uint16_t skip_http_port) {
  const auto started = Clock::now();
  // Each probe stops at the deadline on its own, so joining never waits longer than that.
  const auto deadline = started + targets.deadline;
  std::vector<std::function<std::vector<Finding>()>> probes;
  for (size_t i = 0; i < targets.http_ports.size(); ++i) {
    const uint16_t port = targets.http_ports[i];
    if (port != skip_http_port)
      probes.emplace_back([=] { return probe_http(port, deadline, i == 0); });
  }
  for (size_t i = 0; i < targets.redis_ports.size(); ++i) {
    const uint16_t port = targets.redis_ports[i];
    probes.emplace_back([=] { return probe_redis(port, deadline, i == 0); });
  }
  for (size_t i = 0; i < targets.access_logs.size(); ++i) {
    const std::string path = targets.access_logs[i];
    probes.emplace_back([=] { return probe_log(path, i == 0); });
  }
  for (uint16_t port : targets.tws_ports)
    probes.emplace_back([=] { return probe_tws(port, deadline); });

  std::vector<std::vector<Finding>> results(probes.size());
  std::vector<std::thread> threads;
  threads.reserve(probes.size());
  for (size_t i = 0; i < probes.size(); ++i)
    threads.emplace_back([&, i] { results[i] = probes[i](); });
  for (std::thread& t : threads) t.join();

  DiscoveryResult result;
  bool log_found = false;
  for (std::vector<Finding>& r : results) {
    for (Finding& f : r) {
      // One access log is enough: nginx and Apache rarely both front the same service.
      if (f.yaml.find("source: access_log") != std::string::npos && std::exchange(log_found, true))
        continue;
      result.findings.push_back(std::move(f));
    }
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  return result;
}

std::string render_discovered_config(const DiscoveryResult& result,
                                     const DiscoveryTargets& targets) {
  std::string logs;
  for (const std::string& p : targets.access_logs) logs += (logs.empty() ? "" : ", ") + p;
  std::string out =
      "# resync-mon configuration written by `resync-mon discover`, which probed 127.0.0.1 in " +
      std::to_string(result.elapsed.count()) + " ms:\n#   Redis on " +
      join_ports(targets.redis_ports) + "; Prometheus text on " + join_ports(targets.http_ports) +
      ";\n#   access logs " + (logs.empty() ? "none" : logs) + "; HCL WA (HTTPS) on " +
      join_ports(targets.tws_ports) +
      ".\n# Check it with `resync-mon config check FILE`; run it with "
      "`resync-mon --config FILE serve`.\n"
      "interval: 5s\nwindow: 2h\nserver:\n  bind: \"127.0.0.1:9882\"\n"
      "collectors:\n  # The host: CPU, memory, load, uptime.\n  - plugin: system\n";
  for (const Finding& f : result.findings) {
    if (f.needs_credentials) {
      out += "  # " + f.what + ".\n  # It needs credentials: " + f.how + ", then uncomment:\n";
      out += "  # - " + f.yaml + "\n";
    } else {
      out += "  # " + f.what + ".\n  - " + f.yaml + "\n";
    }
  }
  if (result.findings.empty()) out += "  # Nothing else answered on loopback.\n";
  out += "# No `alerts:` key: the default rules of the plugins above apply.\n";
  return out;
}

}  // namespace resync::cli

// SPDX-License-Identifier: MIT
// `resync-mon discover`, and the same discovery applied by serve to a configuration that asks
// for it (the embedded default does).
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>

#include "commands.hpp"
#include "discover.hpp"
#include "exit_codes.hpp"
#include "resync/error.hpp"
#include "resync/log.hpp"
#include "resync/util/host_port.hpp"

namespace resync::cli {
namespace {

uint16_t bind_port(const std::string& bind) {
  try {
    return parse_host_port(bind).port;
  } catch (const std::exception&) {
    return 0;  // validated elsewhere; discovery then simply probes every port
  }
}

struct DiscoverOptions {
  std::string write;  ///< --write FILE; "" = stdout
};

int run_discover(const DiscoverOptions& options) {
  const DiscoveryTargets targets = DiscoveryTargets::from_environment();
  const DiscoveryResult result = discover(targets, bind_port(ServerConfig{}.bind));
  const std::string text = render_discovered_config(result, targets);
  // What it prints must load: a finding that produced an invalid entry is a bug to report, not
  // a file to hand to the operator.
  parse_config(text, ConfigFormat::kYaml, "<discovered>");
  if (options.write.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  }
  std::ofstream out(options.write, std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw ConfigError(options.write + ": cannot write");
  std::fprintf(stderr, "resync-mon: wrote %s (%zu found in %lld ms)\n", options.write.c_str(),
               result.findings.size(), static_cast<long long>(result.elapsed.count()));
  return kExitOk;
}

}  // namespace

DiscoveryReport apply_discovery(Config& config, const DiscoveryTargets& targets) {
  DiscoveryReport report;
  if (!config.discover) return report;
  const DiscoveryResult result = discover(targets, bind_port(config.server.bind));
  report.ran = true;
  report.elapsed_ms = result.elapsed.count();

  std::set<std::string> plugins, names;
  for (const CollectorConfig& c : config.collectors) {
    plugins.insert(c.plugin);
    names.insert(c.name);
  }
  // The entries go through the configuration parser like a file's, so they reach the plugins
  // as exactly what `discover --write` would have written.
  std::string yaml = "interval: " + std::to_string(config.interval.count()) +
                     "ms\nwindow: " + std::to_string(config.window.count()) + "ms\ncollectors:\n";
  std::vector<const Finding*> enabled;
  for (const Finding& f : result.findings) {
    if (f.needs_credentials) {
      report.needs_credentials.push_back({f.what, f.how, f.yaml});
    } else if (!plugins.count(f.plugin)) {
      yaml += "  - " + f.yaml + "\n";
      enabled.push_back(&f);
    }
  }
  if (!enabled.empty()) {
    Config found = parse_config(yaml, ConfigFormat::kYaml, "<discovery>");
    for (CollectorConfig& c : found.collectors) {
      if (names.count(c.name)) continue;
      config.collectors.push_back(std::move(c));
    }
  }
  for (const Finding* f : enabled) report.enabled.push_back(f->what + " (" + f->plugin + ")");
  return report;
}

void log_discovery(const DiscoveryReport& report) {
  if (!report.ran) return;
  std::string list;
  for (const std::string& e : report.enabled) list += (list.empty() ? "" : "; ") + e;
  log_info("discovery: probed loopback in " + std::to_string(report.elapsed_ms) + " ms; " +
           (list.empty() ? std::string("enabled nothing more") : "enabled " + list));
  for (const DiscoveryReport::Pending& p : report.needs_credentials) {
    log_warning("discovery: " + p.what + " needs credentials: " + p.how +
                ", then add to collectors: " + p.config);
  }
}

void add_discover_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand(
      "discover",
      "Probe this host's loopback (at most 1 s) for Redis, Prometheus text endpoints (Resync's "
      "port 8000 first), an access log with request times and an HCL WA engine; print a "
      "commented configuration of what was found");
  auto options = std::make_shared<DiscoverOptions>();
  cmd->add_option("--write", options->write,
                  "Write the configuration to FILE instead of standard output");
  cmd->footer(
      "Ports and paths probed can be changed with RESYNC_MON_DISCOVER, e.g. "
      "\"redis=6380;http=18000,18080;logs=/srv/access.log;tws=31117\".");
  cmd->callback([&action, options] { action = [options] { return run_discover(*options); }; });
}

}  // namespace resync::cli

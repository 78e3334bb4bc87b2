// SPDX-License-Identifier: MIT
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "resync/error.hpp"
#include "resync/monitor.hpp"
#include "resync/views/prometheus_rules.hpp"

namespace resync::cli {
namespace {

int run_rules(const GlobalOptions& global) {
  // The monitor loads the plugins and builds the alert engine as serve does, so the export holds
  // exactly the rules the engine evaluates (the plugins' defaults included) on the series the
  // configured collectors declare.
  const Monitor monitor(load_selected_config(global));
  const Config& config = monitor.config();
  views::RuleExport in;
  in.rules = monitor.alerts().rules();
  in.series = monitor.layout().keys();
  in.interval = config.interval;
  // The link resync-mon's own notifications carry (Monitor::finish()).
  in.dashboard_url = config.notify.dashboard_url.empty() ? default_dashboard_url(config.server.bind)
                                                         : config.notify.dashboard_url;
  in.source = config.source;
  std::cout.imbue(std::locale::classic());
  const std::vector<std::string> notes = views::render_prometheus_rules(std::cout, in);
  std::cout.flush();
  for (const std::string& n : notes) std::fprintf(stderr, "resync-mon rules: %s\n", n.c_str());
  return std::cout ? kExitOk : kExitFailure;
}

}  // namespace

void add_rules_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto* cmd = app.add_subcommand(
      "rules",
      "Print the alert rules in effect (defaults included) as a Prometheus rule file for the "
      "series of /metrics; what PromQL cannot say is noted on stderr");
  auto format = std::make_shared<std::string>("prometheus");
  cmd->add_option("--format", *format,
                  "prometheus: alerting rules, one group (docs/rules-export.md); recording rules "
                  "are not offered, /metrics already holds the derived series")
      ->check(CLI::IsMember({"prometheus"}))
      ->capture_default_str();
  cmd->callback([&global, &action] { action = [&global] { return run_rules(global); }; });
}

}  // namespace resync::cli

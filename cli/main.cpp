// SPDX-License-Identifier: MIT
// Wiring and error-to-exit-code mapping only; each subcommand lives in its own file.
#include <csignal>
#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "resync/error.hpp"
#include "resync/log.hpp"
#include "resync/plugins.hpp"
#include "resync/signals.hpp"
#include "resync/views/json.hpp"
#include "usage.hpp"

namespace resync::cli {

Config load_selected_config(const GlobalOptions& global, ConfigUse use) {
  return global.config_path.empty() ? default_config() : load_config(global.config_path, use);
}

}  // namespace resync::cli

int main(int argc, char** argv) {
  using namespace resync;
  // First, before any thread exists and before a configuration is read: SIGINT and SIGTERM must
  // work from the first instant, and a collector that crashes the process must be named.
  start_signal_thread();
  install_fatal_signal_handlers();
  // A target closing its connection while a collector writes to it must be an error return, not
  // a process kill, in every subcommand.
  signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "resync-mon: samples service, cache, agent, HCL Workload Automation and host metrics;\n"
      "serves a live dashboard, a JSON API and Prometheus /metrics.",
      "resync-mon"};
  app.footer(cli::kExitCodeHelp);
  app.set_version_flag("--version", std::string("resync-mon ") + views::version() +
                                        " (plugin ABI " + std::to_string(plugin_abi_version()) +
                                        ")");
  app.require_subcommand(1);
  app.fallthrough();

  cli::GlobalOptions global;
  // Not CLI::ExistingFile: a missing file is a configuration error (exit 3), as from `config
  // check`.
  app.add_option("-c,--config", global.config_path,
                 "Configuration file, YAML (.yaml/.yml) or TOML (.toml); "
                 "default: the embedded configuration (system collector)");

  cli::Action action;
  cli::add_serve_command(app, global, action);
  cli::add_current_command(app, global, action);
  cli::add_history_command(app, global, action);
  CLI::App* check = cli::add_check_command(app, global, action);
  cli::add_plan_command(app, global, action);
  cli::add_report_command(app, global, action);
  cli::add_rules_command(app, global, action);
  cli::add_plugins_command(app, global, action);
  cli::add_config_command(app, global, action);
  cli::add_discover_command(app, action);
  cli::add_hash_password_command(app, action);
  cli::add_collector_host_command(app, action);
  cli::add_completion_command(app, action);
  cli::add_manpage_command(app, action);
  cli::set_help_footers(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const std::string line = cli::usage_error(app, argc, argv, e);
    // A monitoring system reads a check's status line and exit code, never a usage text.
    if (check->parsed()) {
      std::printf("RESYNC-MON UNKNOWN - %s\n", line.c_str());
      return cli::kCheckUnknown;
    }
    std::fprintf(stderr, "resync-mon: %s\n", line.c_str());
    return kExitUsage;
  }
  // Only serve has a "starting" phase; a reader stopped early just ends, and check ends UNKNOWN.
  if (check->parsed())
    set_early_stop(nullptr, cli::kCheckUnknown, "RESYNC-MON UNKNOWN - interrupted by ");
  else if (!app.get_subcommand("serve")->parsed())
    set_early_stop("");
  try {
    return action ? action() : kExitOk;
  } catch (const Error& e) {
    // Escaped like a log line: a plugin's error may quote what a target sent.
    std::fprintf(stderr, "resync-mon: %s\n", escape_log_text(e.what()).c_str());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "resync-mon: %s\n", escape_log_text(e.what()).c_str());
    return kExitFailure;
  }
}

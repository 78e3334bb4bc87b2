// SPDX-License-Identifier: MIT
// Wiring and error-to-exit-code mapping only; each subcommand lives in its own file.
#include <csignal>
#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "resync/error.hpp"
#include "resync/log.hpp"
#include "resync/plugin_abi.h"
#include "resync/server/views.hpp"
#include "resync/signals.hpp"

namespace {

constexpr const char* kExitCodes = R"(Exit codes:
  0  success
  1  unexpected runtime failure
  2  bad command line
  3  invalid configuration file (the message names file, line and key)
  4  a plugin could not be found, loaded or created
  5  the server could not bind its address (port in use, no permission))";

}  // namespace

namespace resync::cli {

Config load_selected_config(const GlobalOptions& global) {
  return global.config_path.empty() ? default_config() : load_config(global.config_path);
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
  CLI::App app{"resync-mon: samples service, cache, agent, HCL Workload Automation and host metrics;\n"
               "serves a live dashboard, a JSON API and Prometheus /metrics.",
               "resync-mon"};
  app.footer(kExitCodes);
  app.set_version_flag("--version", std::string("resync-mon ") + server::version() + " (plugin ABI " +
                                        std::to_string(RESYNC_PLUGIN_ABI_VERSION) + ")");
  app.require_subcommand(1);
  app.fallthrough();

  cli::GlobalOptions global;
  app.add_option("-c,--config", global.config_path, "Configuration file, YAML (.yaml/.yml) or TOML (.toml); "
                                                    "default: the embedded configuration (system collector)")
      ->check(CLI::ExistingFile);

  cli::Action action;
  cli::add_serve_command(app, global, action);
  cli::add_current_command(app, global, action);
  cli::add_plugins_command(app, global, action);
  cli::add_config_command(app, global, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
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

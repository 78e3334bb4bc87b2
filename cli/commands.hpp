// SPDX-License-Identifier: MIT
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "resync/config.hpp"

namespace resync::cli {

/// Options every subcommand understands, parsed before the subcommand runs.
struct GlobalOptions {
  std::string config_path;  ///< --config; "" = the embedded default
};

/// The subcommand chosen on the command line sets this; main runs it after parsing.
using Action = std::function<int()>;

/// The configuration --config names, or the embedded default. Throws ConfigError. Readers pass
/// ConfigUse::kRead, so the server's and the notifiers' secrets need not be set for them.
Config load_selected_config(const GlobalOptions& global, ConfigUse use = ConfigUse::kRun);

void add_current_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_history_command(CLI::App& app, const GlobalOptions& global, Action& action);
/// Returns the subcommand, so main can report its bad command lines as UNKNOWN (exit 3).
CLI::App* add_check_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_plan_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_plugins_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_config_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_serve_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_report_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_rules_command(CLI::App& app, const GlobalOptions& global, Action& action);
/// The hidden child side of `isolation: process` (see run_collector_host()).
void add_collector_host_command(CLI::App& app, Action& action);

}  // namespace resync::cli

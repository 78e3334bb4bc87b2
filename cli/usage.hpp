// SPDX-License-Identifier: MIT
#pragma once

#include <CLI/CLI.hpp>

#include <string>

/// What a bad command line and `--help` show: one `resync-mon:` line that names the wrong word
/// and the nearest valid one, and per-subcommand help footers.
namespace resync::cli {

/// One line for a command line CLI11 refused with `error`: an unknown option or subcommand with
/// the nearest valid name ("did you mean --config?"), else CLI11's own message; always ends with
/// the `--help` to read. Without the "resync-mon: " prefix (check prints its own status line).
std::string usage_error(const CLI::App& app, int argc, char** argv, const CLI::Error& error);

/// The closest of `candidates` to `word` when near enough to be a typo, else "".
std::string nearest_name(const std::string& word, const std::vector<std::string>& candidates);

/// Gives each built-in subcommand a footer with only its own exit codes and, for those that read
/// the configuration, the global --config option (CLI11 prints a subcommand's own options only).
void set_help_footers(CLI::App& app);

}  // namespace resync::cli

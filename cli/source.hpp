// SPDX-License-Identifier: MIT
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "resync/config.hpp"
#include "resync/snapshot.hpp"

namespace resync::cli {

/// Where `history`, `report` and `check` read their data: a running server or a state file.
struct SourceOptions {
  std::string url;    ///< --url: a running `resync-mon serve`
  std::string state;  ///< --state: a state file that `serve` writes
};

/// Adds --url and --state to a subcommand.
void add_source_options(CLI::App* cmd, SourceOptions& o);

/// Reads the source the options name (or the configuration's state_file when they name none) into
/// a snapshot whose series carry their plugins' descriptions. Throws resync::Error with one line
/// naming the source and what is wrong.
MonitorSnapshot read_source(const SourceOptions& o, const Config& config);

}  // namespace resync::cli

// SPDX-License-Identifier: MIT
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <string>

#include "exit_codes.hpp"
#include "resync/config.hpp"
#include "resync/snapshot.hpp"

/// Where the shell subcommands (current, history, report, check) read their data from: a running
/// `resync-mon serve` (--url), the state file it writes (--state), or, for some commands, samples
/// taken on the spot. Every source becomes a MonitorSnapshot, so every view works on all three.
namespace resync::cli {

struct SourceOptions {
  std::string url;         ///< --url: a running `resync-mon serve`, e.g. http://127.0.0.1:8000
  std::string state_file;  ///< --state: the state file `serve` writes
  std::string token;       ///< --token or RESYNC_MON_TOKEN: Bearer auth for --url
  std::string user;        ///< --user: Basic auth for --url, password from RESYNC_MON_PASSWORD
  std::string password;    ///< taken from RESYNC_MON_PASSWORD when --user is given
  std::string ca_file;     ///< --ca-file: PEM bundle to verify an https:// server with
  std::chrono::milliseconds timeout{5000};  ///< --timeout: for reading the whole source
};

/// What to do when neither --url nor --state is given.
enum class Fallback {
  kSample,     ///< take two samples one interval apart with the configured collectors
  kStateFile,  ///< read the configuration's state_file; a usage error when it has none
};

/// Which source `options` selects under `fallback` with `config`.
enum class SourceKind { kUrl, kStateFile, kSample };
SourceKind source_kind(const SourceOptions& options, const Config& config, Fallback fallback);

/// Adds --url, --state, --token, --user, --ca-file and --timeout to `cmd`, the same on every
/// subcommand; the password is read from RESYNC_MON_PASSWORD when the command runs.
void add_source_options(CLI::App* cmd, SourceOptions& options);

/// Reads the selected source whole. Throws SourceError (exit codes 6-8, one line naming the URL
/// or file), CLI::ValidationError-like Error(kExitUsage) for options that do not fit together, and
/// the core's errors (ConfigError, PluginLoadError) when sampling locally. Never modifies a
/// state file.
MonitorSnapshot read_source(const SourceOptions& options, const Config& config,
                            Fallback fallback = Fallback::kStateFile);

/// The reason of a StateFormatError in words a user understands ("bad magic" -> "not a
/// resync-mon state file").
std::string plain_state_reason(const std::string& reason);

/// The state file at `path` as a snapshot. Throws SourceError: kExitSourceUnusable when it is
/// missing or unreadable, kExitBadStateFile when it is not a valid state file.
MonitorSnapshot read_state_source(const std::string& path);

/// A running `resync-mon serve` as a snapshot (see remote_source.cpp for what the JSON API
/// gives and what it cannot). `config` supplies the plugin folder used to describe its series.
MonitorSnapshot read_remote_source(const SourceOptions& options, const Config& config);

/// GETs one document of the server at options.url (path like "/api/monitoring/current") and
/// returns its body, checked to be a 200 answer. Throws SourceError.
std::string fetch_document(const SourceOptions& options, const std::string& path);

/// Two samples one interval apart from the configured collectors, as `current` takes them.
MonitorSnapshot sample_source(const Config& config);

}  // namespace resync::cli

// SPDX-License-Identifier: MIT
#pragma once

#include <stdexcept>
#include <string>

namespace resync {

/// Process exit codes, documented in `resync-mon --help` and docs/cli.md.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,  ///< unexpected runtime failure
  kExitUsage = 2,    ///< bad command line
  /// invalid or unreadable configuration file, including options a plugin's create() rejects: its
  /// message names the collector's key, so the fix is in the file
  kExitConfig = 3,
  kExitPlugin = 4,  ///< a plugin could not be found or loaded
  kExitBind = 5,    ///< the server could not bind its address (port in use, no permission)
  // 6 and 7 are the shell subcommands' (cli/exit_codes.hpp).
  kExitBadStateFile = 8,  ///< a state file that is not a valid state file (StateFormatError)
  kExitStateLocked = 9,   ///< another `serve` holds the state file's lock
};

/// Base of every resync-mon exception; carries the exit code `main` returns for it.
class Error : public std::runtime_error {
 public:
  Error(const std::string& message, int exit_code)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

/// Invalid configuration. The message names the file, the key and, where known, the line.
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message) : Error(message, kExitConfig) {}
};

/// A plugin that cannot be found or loaded. The message names the .so file. (A plugin that
/// rejects its options in create() is a ConfigError naming the collector's key.)
class PluginLoadError : public Error {
 public:
  explicit PluginLoadError(const std::string& message) : Error(message, kExitPlugin) {}
};

/// The server could not bind its listening address.
class BindError : public Error {
 public:
  explicit BindError(const std::string& message) : Error(message, kExitBind) {}
};

/// The state file is locked by another running server.
class StateLockedError : public Error {
 public:
  explicit StateLockedError(const std::string& message) : Error(message, kExitStateLocked) {}
};

/// One collection failed. Caught by the sampler and recorded in the collector's health.
class CollectError : public Error {
 public:
  explicit CollectError(const std::string& message) : Error(message, kExitFailure) {}
};

}  // namespace resync

// SPDX-License-Identifier: MIT
#pragma once

#include "resync/error.hpp"

/// The exit codes of the shell subcommands that read a source, beyond those of the core
/// (resync/error.hpp, which also holds serve's kExitStateLocked = 9, thrown from the core), and
/// the table `--help` prints. docs/cli.md's table says the same.
namespace resync::cli {

enum SourceExitCode : int {
  kExitSourceUnusable =
      6,                  ///< server unreachable, timed out, a bad or foreign answer; no state file
  kExitUnauthorized = 7,  ///< the server refused the credentials (401, 403)
};  // 8, a state file that is not valid, is the core's kExitBadStateFile (StateFormatError)

/// `check` follows the Monitoring Plugins convention instead: every failure is UNKNOWN.
enum CheckExitCode : int { kCheckOk = 0, kCheckWarning = 1, kCheckCritical = 2, kCheckUnknown = 3 };

inline constexpr const char* kExitCodeHelp = R"(Exit codes:
  0  success
  1  unexpected runtime failure
  2  bad command line
  3  invalid or unreadable configuration file (the message names file, line and key),
     including options a plugin's create() rejects
  4  a plugin could not be found or loaded
  5  the server could not bind its address (port in use, no permission)
  6  the source cannot be read: server unreachable or too slow, an answer that is not
     resync-mon's (error status, not JSON, wrong shape, too large, another major version),
     or a missing state file
  7  the server refused the credentials (401/403): see --token, --user
  8  the state file is not a valid state file (foreign, truncated, corrupt, newer format)
  9  serve: another resync-mon serve holds the state file (its lock, <state_file>.lock)
`check` exits 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (any failure, bad options included).)";

/// A source that cannot be read; what() is one line naming the URL or file and what went wrong.
class SourceError : public Error {
 public:
  SourceError(const std::string& message, int exit_code) : Error(message, exit_code) {}
};

}  // namespace resync::cli

// SPDX-License-Identifier: MIT
// `resync-mon hash-password`: a yescrypt hash for server.auth.password_hash, from a password read
// on standard input (never an argument: those show in `ps` and shell history).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "resync/error.hpp"
#include "resync/password_hash.hpp"

namespace resync::cli {
namespace {

// Longer than any password typed or generated; more is a wrong file piped in.
constexpr size_t kMaxPassword = 4096;

int run_hash_password() {
  std::string password;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0) throw Error("hash-password: cannot read standard input", kExitFailure);
    if (n == 0) break;
    password.append(buf, static_cast<size_t>(n));
    if (password.size() > kMaxPassword + 2)
      throw Error(
          "hash-password: the password is longer than " + std::to_string(kMaxPassword) + " bytes",
          kExitUsage);
  }
  // `echo pw |` and a typed line end with a newline that is not part of the password.
  if (!password.empty() && password.back() == '\n') password.pop_back();
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) throw Error("hash-password: read an empty password from stdin", kExitUsage);
  const std::string hash = hash_password(password);
  std::fill(password.begin(), password.end(), '\0');
  std::printf("%s\n", hash.c_str());
  return kExitOk;
}

}  // namespace

void add_hash_password_command(CLI::App& app, Action& action) {
  auto* cmd =
      app.add_subcommand("hash-password",
                         "Read a password from standard input and print its yescrypt hash for "
                         "server.auth.password_hash");
  cmd->footer("Example: printf '%s' \"$PW\" | resync-mon hash-password");
  cmd->callback([&action] { action = [] { return run_hash_password(); }; });
}

}  // namespace resync::cli

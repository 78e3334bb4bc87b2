// SPDX-License-Identifier: MIT
#include <cstdio>
#include <filesystem>

#include "commands.hpp"
#include "resync/error.hpp"
#include "resync/monitor.hpp"
#include "resync/server/http_server.hpp"
#include "resync/util/duration.hpp"

namespace resync::cli {

namespace {

// serve would fail to save there (exit 3) minutes after starting: say so now.
void check_state_folder(const Config& c) {
  if (c.state_file.empty()) return;
  const std::filesystem::path folder =
      std::filesystem::absolute(std::filesystem::path(c.state_file)).parent_path();
  std::error_code ec;
  if (std::filesystem::is_directory(folder, ec)) return;
  throw ConfigError(
      c.source + ": state_file: folder " + folder.string() +
      (std::filesystem::exists(folder, ec) ? " is not a directory" : " does not exist") +
      " (create it, or point state_file elsewhere)");
}

// serve would refuse to start on them: say so now, naming the configuration.
void check_tls(const Config& c) {
  if (c.server.tls_cert_file.empty()) return;
  const std::string error = server::check_tls_files(c.server.tls_cert_file, c.server.tls_key_file);
  if (!error.empty()) throw ConfigError(c.source + ": " + error);
}

}  // namespace

void add_config_command(CLI::App& app, const GlobalOptions&, Action& action) {
  auto* config = app.add_subcommand("config", "Work with configuration files");
  config->require_subcommand(1);
  auto* check = config->add_subcommand("check",
                                       "Validate FILE: syntax, keys, durations, and that every "
                                       "plugin loads and accepts its options");
  auto file = std::make_shared<std::string>();
  check->add_option("FILE", *file, "YAML or TOML configuration file")->required();
  check->callback([&action, file] {
    action = [file] {
      // Creating the monitor loads every plugin and runs its create(): the checks serve would do.
      Config parsed = load_config(*file);
      check_state_folder(parsed);
      check_tls(parsed);
      const Monitor monitor(std::move(parsed));
      const Config& c = monitor.config();
      std::printf("%s: ok; interval %s, window %s (%zu samples), %zu collector(s):", file->c_str(),
                  format_duration(c.interval).c_str(), format_duration(c.window).c_str(),
                  c.capacity(), c.collectors.size());
      for (const auto& cc : c.collectors)
        std::printf(" %s (%s)", cc.name.c_str(), cc.plugin.c_str());
      std::printf("; %zu alert rule(s)", monitor.rules().size());
      for (const auto& n : c.notify.notifiers) {
        std::printf("; notify %s (%s)", n.name.c_str(),
                    n.kind == NotifierConfig::Kind::kAlertmanager ? "alertmanager" : "webhook");
      }
      std::printf("\n");
      return 0;
    };
  });
}

}  // namespace resync::cli

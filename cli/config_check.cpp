// SPDX-License-Identifier: MIT
#include <cstdio>

#include "commands.hpp"
#include "resync/monitor.hpp"
#include "resync/util/duration.hpp"

namespace resync::cli {

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

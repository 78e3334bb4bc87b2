// SPDX-License-Identifier: MIT
#include <memory>

#include "commands.hpp"
#include "resync/isolation.hpp"

namespace resync::cli {

void add_collector_host_command(CLI::App& app, Action& action) {
  // Started by the monitor itself for `isolation: process` collectors, never by a user: hidden
  // from --help (an empty group), and its configuration arrives over the channel, not on argv,
  // where other users could read secrets in /proc.
  auto* cmd = app.add_subcommand("collector-host", "Run one plugin for a parent resync-mon");
  cmd->group("");
  struct Args {
    std::string plugin_path, plugin, instance;
    int fd = kCollectorHostFd;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--plugin", args->plugin_path, "Plugin file")->required();
  cmd->add_option("--plugin-name", args->plugin, "Name the plugin must declare")->required();
  cmd->add_option("--name", args->instance, "Collector instance name")->required();
  cmd->add_option("--fd", args->fd, "Descriptor of the channel to the parent");
  cmd->callback([&action, args] {
    action = [args] {
      return run_collector_host(args->plugin_path, args->plugin, args->instance, args->fd);
    };
  });
}

}  // namespace resync::cli

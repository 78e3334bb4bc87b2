// SPDX-License-Identifier: MIT
#include <cstdio>

#include "commands.hpp"
#include "resync/error.hpp"
#include "resync/plugin_host.hpp"

namespace resync::cli {

void add_plugins_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto* cmd = app.add_subcommand("plugins", "List the collector plugins found: name, ABI version, series, file");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("--plugin-dir", *dir, "Look only in this directory (default: plugin_dir of the config, else "
                                        "next to the binary, then the install prefix)");
  cmd->callback([&global, &action, dir] {
    action = [&global, dir] {
      const std::string plugin_dir = !dir->empty() ? *dir : load_selected_config(global).plugin_dir;
      const PluginHost host(PluginHost::default_search_dirs(plugin_dir));
      const auto found = host.discover();
      std::printf("Searched: ");
      for (size_t i = 0; i < host.search_dirs().size(); ++i) std::printf("%s%s", i ? ", " : "", host.search_dirs()[i].c_str());
      std::printf("\n\n%-10s %-4s %s\n", "NAME", "ABI", "FILE");
      int broken = 0;
      for (const auto& f : found) {
        if (!f.plugin) {
          ++broken;
          std::printf("%-10s %-4s %s\n           error: %s\n", "?", "?", f.path.c_str(), f.error.c_str());
          continue;
        }
        std::printf("%-10s %-4u %s\n", f.plugin->name().c_str(), f.plugin->abi_version(), f.path.c_str());
        std::printf("           %s\n           series:", f.plugin->description().c_str());
        for (const std::string& s : f.plugin->series()) std::printf(" %s", s.c_str());
        std::printf("\n");
      }
      if (found.empty()) std::printf("(no plugins found)\n");
      return found.empty() || broken ? kExitPlugin : kExitOk;
    };
  });
}

}  // namespace resync::cli

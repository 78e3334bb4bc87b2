// SPDX-License-Identifier: MIT
#include <cstdio>

#include "commands.hpp"
#include "resync/error.hpp"
#include "resync/plugins.hpp"
#include "resync/series.hpp"

namespace resync::cli {

void add_plugins_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto* cmd = app.add_subcommand("plugins",
                                 "List the collector plugins found: name, ABI version, file, and "
                                 "each series with its kind, unit and help, and its default alert "
                                 "rules (in effect unless the config has alerts: or "
                                 "default_alerts: false)");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("--plugin-dir", *dir,
                  "Look only in this directory (default: plugin_dir of the config, else "
                  "next to the binary, then the install prefix)");
  cmd->callback([&global, &action, dir] {
    action = [&global, dir] {
      const std::string plugin_dir = !dir->empty() ? *dir : load_selected_config(global).plugin_dir;
      const std::vector<std::string> dirs = plugin_search_dirs(plugin_dir);
      const std::vector<PluginInfo> found = discover_plugins(dirs);
      std::printf("Searched: ");
      for (size_t i = 0; i < dirs.size(); ++i) std::printf("%s%s", i ? ", " : "", dirs[i].c_str());
      std::printf("\n\n%-10s %-4s %s\n", "NAME", "ABI", "FILE");
      int broken = 0;
      for (const PluginInfo& p : found) {
        if (!p.error.empty()) {
          ++broken;
          std::printf("%-10s %-4s %s\n           error: %s\n", "?", "?", p.path.c_str(),
                      p.error.c_str());
          continue;
        }
        std::printf("%-10s %-4u %s\n           %s\n", p.name.c_str(), p.abi_version, p.path.c_str(),
                    p.description.c_str());
        for (const SeriesDescription& d : p.series) {
          std::printf("           %-24s %-7s %-12s %s\n", d.name.c_str(),
                      d.kind == Kind::kCounter ? "counter" : "gauge",
                      std::string(unit_name(d.unit)).c_str(), d.help.c_str());
        }
        for (const AlertRule& r : p.default_rules)
          std::printf("           default rule: %s\n", describe(r).c_str());
      }
      if (found.empty()) std::printf("(no plugins found)\n");
      return found.empty() || broken ? kExitPlugin : kExitOk;
    };
  });
}

}  // namespace resync::cli

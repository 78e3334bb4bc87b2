// SPDX-License-Identifier: MIT
// resync/plugins.hpp: what the rest of resync-mon asks about plugins without loading one itself.
#include "resync/plugins.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

#include "plugin_host.hpp"
#include "resync/error.hpp"

#ifndef RESYNC_PLUGIN_INSTALL_DIR
#define RESYNC_PLUGIN_INSTALL_DIR "/usr/local/lib/resync-mon/plugins"
#endif

namespace fs = std::filesystem;

namespace resync {
namespace {

std::string executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

}  // namespace

uint32_t plugin_abi_version() { return RESYNC_PLUGIN_ABI_VERSION; }

std::vector<std::string> plugin_search_dirs(const std::string& plugin_dir) {
  if (!plugin_dir.empty()) return {plugin_dir};
  std::vector<std::string> dirs;
  const std::string exe_dir = executable_dir();
  // Beside the binary only where such a folder exists (the build tree, an unpacked tarball):
  // an installed /usr/bin/resync-mon must not list /usr/bin/plugins as a place it looked.
  if (!exe_dir.empty()) {
    for (const fs::path& dir :
         {fs::path(exe_dir) / "plugins",
          fs::path(exe_dir).parent_path() / "lib" / "resync-mon" / "plugins"}) {
      std::error_code ec;
      if (fs::is_directory(dir, ec)) dirs.push_back(dir.string());
    }
  }
  dirs.emplace_back(RESYNC_PLUGIN_INSTALL_DIR);
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  return dirs;
}

std::vector<PluginInfo> discover_plugins(const std::vector<std::string>& dirs) {
  std::vector<PluginInfo> out;
  for (PluginHost::Found& f : PluginHost(dirs).discover()) {
    PluginInfo info;
    if (f.plugin) info = f.plugin->info();
    info.path = f.path;
    info.error = f.error;
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<AlertRule> effective_alert_rules(const Config& config,
                                             const std::vector<PluginInfo>& plugins) {
  if (config.alerts_given || !config.default_alerts) return config.alerts;
  std::vector<AlertRule> rules;
  std::set<std::string> seen;
  for (const PluginInfo& p : plugins) {
    if (!seen.insert(p.name).second) continue;
    rules.insert(rules.end(), p.default_rules.begin(), p.default_rules.end());
  }
  for (AlertRule& r : host_alert_rules()) rules.push_back(std::move(r));
  return rules;
}

std::vector<AlertRule> effective_alert_rules(const Config& config) {
  if (config.alerts_given || !config.default_alerts) return config.alerts;
  const PluginHost host(plugin_search_dirs(config.plugin_dir));
  std::vector<PluginInfo> plugins;
  std::set<std::string> seen;
  for (const CollectorConfig& cc : config.collectors) {
    if (!seen.insert(cc.plugin).second) continue;
    try {
      plugins.push_back(host.load(cc.plugin)->info());
    } catch (const PluginLoadError& e) {
      throw PluginLoadError(
          config_message(config.source, cc.line, cc.key_path + ".plugin", e.what()));
    }
  }
  return effective_alert_rules(config, plugins);
}

}  // namespace resync

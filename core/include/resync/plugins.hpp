// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "resync/alert_engine.hpp"
#include "resync/config.hpp"
#include "resync/series.hpp"

namespace resync {

/// What a plugin file declares about itself, read through the real loader.
struct PluginInfo {
  std::string path;
  std::string name;
  std::string description;
  uint32_t abi_version = 0;
  std::vector<SeriesDescription> series;  ///< in the plugin's order
  std::string status_field;               ///< where /current shows its status text; "" for none
  std::vector<AlertRule> default_rules;   ///< its default alert rules on its own series
  std::string error;                      ///< why the file could not be loaded; "" when it loaded
};

/// The plugin ABI version this resync-mon loads (RESYNC_PLUGIN_ABI_VERSION), for `--version`:
/// the ABI header itself stays private to core.
uint32_t plugin_abi_version();

/// The plugin search order (SPEC section 5): `plugin_dir` alone when configured; otherwise the
/// `plugins` folder next to the running binary and the `lib/resync-mon/plugins` folder beside its
/// `bin`, each only when it exists, then the install prefix's plugin folder.
std::vector<std::string> plugin_search_dirs(const std::string& plugin_dir);

/// Every `*.so` in `dirs`, in search order then by name; a name found in an earlier directory
/// hides later ones. A file that fails to load is listed with its error.
std::vector<PluginInfo> discover_plugins(const std::vector<std::string>& dirs);

/// The alert rules in effect (SPEC section 6): the configuration's `alerts:` when it has that
/// key, none with `default_alerts: false`, otherwise the default rules of each of `plugins` (the
/// plugins the collectors use, in order; a name is taken once) then the host's
/// (host_alert_rules()).
std::vector<AlertRule> effective_alert_rules(const Config& config,
                                             const std::vector<PluginInfo>& plugins);
/// effective_alert_rules() of the plugins `config.collectors` name, loaded from its plugin search
/// directories. Throws PluginLoadError naming the file and the collector's key.
std::vector<AlertRule> effective_alert_rules(const Config& config);

/// Names of the plugins in `dirs` (the `*.so` file names without the suffix), sorted, without
/// loading them: cheap enough for the screens' "not configured" line at start-up.
std::vector<std::string> plugin_names(const std::vector<std::string>& dirs);

}  // namespace resync

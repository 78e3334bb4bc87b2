// SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace resync {

/// Where a collector's plugin code runs (config key `isolation`).
enum class Isolation {
  kInProcess,  ///< a thread of the monitor: cheapest; a crash in the plugin ends the monitor
  kProcess,    ///< a `resync-mon collector-host` child, killed and restarted when it misbehaves
};

/// "in-process" or "process".
const char* isolation_name(Isolation isolation);

/// The descriptor number on which a collector host child speaks the framed protocol.
constexpr int kCollectorHostFd = 3;

/// The executable started for `isolation: process` collectors with the arguments
/// `collector-host --plugin PATH --name INSTANCE`: the running executable (/proc/self/exe) unless
/// set_collector_host_executable() named another (tests, which are not resync-mon themselves).
std::string collector_host_executable();
/// Overrides collector_host_executable(); call before any monitor is built. "" restores the
/// default.
void set_collector_host_executable(const std::string& path);

/// The child side of `isolation: process`: loads the plugin at `plugin_path` (which must declare
/// the name `plugin`), then serves the parent's frames on `fd` until the parent closes it or
/// dies. Returns the process exit code: 0 after the parent closed the channel, 2 on a protocol
/// error from the parent. A plugin that crashes ends this process, as intended. Throws
/// PluginLoadError when the plugin cannot be loaded.
int run_collector_host(const std::string& plugin_path, const std::string& plugin,
                       const std::string& instance, int fd);

}  // namespace resync

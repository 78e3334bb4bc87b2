// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "resync/config.hpp"

/// `resync-mon plan`: the memory a configuration's window will hold in `serve`.
namespace resync::cli {

struct PlanCollector {
  std::string name, plugin;
  size_t series = 0;  ///< the plugin's declared series plus the host's two per collector
};

struct Plan {
  std::vector<PlanCollector> collectors;
  size_t series = 0;              ///< columns of the store
  size_t capacity = 0;            ///< samples the window holds
  uint64_t store_bytes = 0;       ///< exact: (series + 1 timestamp) x capacity x 8
  uint64_t per_sample_bytes = 0;  ///< serve's measured memory per sample held, store included
  uint64_t window_bytes = 0;      ///< per_sample_bytes x capacity
  uint64_t fixed_bytes = 0;       ///< measured process base plus per-collector overhead
  uint64_t total_bytes = 0;       ///< what `serve` is expected to reach (RSS) with a full window
};

/// Fitted to the peak RSS (VmHWM) of `serve --bench-prefill` (RelWithDebInfo, Debian 12 x86-64,
/// glibc malloc with as many arenas as cores and a trim after each sample, as `serve` sets it) with
/// full windows of 1,000 to 300,000 samples of the system collector alone (9 series) and 1,000 to
/// 120,960 samples of all five collectors of examples/resync.yaml (43 series), the whole /history
/// asked for after every sample; each of the eleven figures is within 5 % of the fit, docs/cli.md
/// "plan". Refit when the TLS stack became a module loaded on demand (the base fell 3.3 MiB; a
/// collector with an https URL now brings it in, hence the larger per-collector figure).
/// RSS = base + collectors x per collector + capacity x (store row x factor + bytes per row):
inline constexpr uint64_t kPlanBaseBytes = 9'700u << 10;
/// A collector's own threads and connections, and the TLS module that tws's https URL loads.
inline constexpr uint64_t kPlanPerCollectorBytes = 2'500u << 10;
/// The store's row, the copy each /history rendering takes, and the row's numbers as JSON text in
/// the cached document and the one being rendered (whose buffer grows by doubling).
inline constexpr double kPlanStoreFactor = 2.4;
/// /history per sample beyond the row: its two timestamp columns, in both documents.
inline constexpr uint64_t kPlanServerBytesPerRow = 175;

/// The plan of `config`, reading each collector's declared series from its plugin file (loaded,
/// never created, so no collector connects anywhere). Throws PluginLoadError naming the plugin.
Plan make_plan(const Config& config);

}  // namespace resync::cli

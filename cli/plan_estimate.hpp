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
/// full windows of 50,000 to 200,000 samples of the system collector alone (9 series), the whole
/// /history asked for after every sample; the collector constant comes from the earlier fit with
/// all five collectors (43 series), docs/cli.md "plan". The fit is within about 20 % of each.
/// RSS = base + collectors x per collector + capacity x (store row x 2 + server bytes per row):
inline constexpr uint64_t kPlanBaseBytes = 13'300u << 10;
/// A collector's own threads, connections and TLS context (five collectors at 1,000 samples).
inline constexpr uint64_t kPlanPerCollectorBytes = 1'700u << 10;
/// The store's row counts twice: the store, and the full copy each /history rendering takes.
inline constexpr double kPlanStoreFactor = 2.0;
/// /history per sample at its peak: the cached document and the one being rendered, whose buffer
/// grows by doubling. Refit to the peak (issue 14): the earlier 125 B came from reads of VmRSS,
/// which catch a rendering in flight or miss it depending on scheduling, so an idle machine
/// measured 48.5 MiB against a plan of 38.6 at 100,000 samples; VmHWM was 44.9-46.8 MiB on a loaded
/// one, and 29.0 / 74.5 MiB at 50,000 / 200,000 samples.
inline constexpr uint64_t kPlanServerBytesPerRow = 200;

/// The plan of `config`, reading each collector's declared series from its plugin file (loaded,
/// never created, so no collector connects anywhere). Throws PluginLoadError naming the plugin.
Plan make_plan(const Config& config);

}  // namespace resync::cli

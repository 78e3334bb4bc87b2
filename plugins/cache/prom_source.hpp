// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>

#include "resync/plugin/options.hpp"
#include "source.hpp"

namespace resync::plugin::cache {

/// The `prometheus` source: scrapes a Prometheus text endpoint (`url`, optional bearer `token`,
/// TLS options) and sums the configured series over their label sets. Reads its keys from `o`;
/// throws OptionError. Each HTTP exchange ends within `budget`.
std::unique_ptr<Source> make_prometheus_source(Options& o, std::chrono::milliseconds budget);

}  // namespace resync::plugin::cache

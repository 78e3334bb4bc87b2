// SPDX-License-Identifier: MIT
#pragma once

#include "resync/util/prom_text.hpp"

/// The Prometheus text parser lives in util, which the host links too (`--url` reads /metrics)
/// without linking the SDK; plugins keep using it under this name.
namespace resync::plugin {

using util::parse_prometheus_float;
using util::parse_prometheus_text;
using util::PromParseResult;
using util::PromSample;
using util::resolve_metric_name;
using util::sum_samples;

}  // namespace resync::plugin

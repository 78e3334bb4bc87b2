// SPDX-License-Identifier: MIT
// The Prometheus text parser of the plugin SDK, on scrapes from any exporter.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "resync/plugin/prom_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace resync::plugin;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const PromParseResult result = parse_prometheus_text(text);
  for (const PromSample& s : result.samples) {
    if (const std::string* le = s.label("le")) parse_prometheus_float(*le);
  }
  if (!result.samples.empty()) {
    const std::string& name = result.samples.front().name;
    resolve_metric_name(result, name);
    sum_samples(result, name);
    sum_samples(result, name + "_total");
  }
  parse_prometheus_float(text.substr(0, 64));
  return 0;
}

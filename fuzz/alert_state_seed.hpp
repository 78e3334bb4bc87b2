// SPDX-License-Identifier: MIT
// The layout and rules behind alert_state_fuzz and its seed (make_state_seed): a CPU rule with
// both severities, hysteresis and flap detection, so a saved state holds every kind of field.
#pragma once

#include <vector>

#include "resync/alert_engine.hpp"
#include "resync/series.hpp"

namespace resync::fuzz {

inline SeriesLayout seed_layout() {
  SeriesLayout layout;
  layout.add({"cpu_percent", "system", "system", SeriesDescription("cpu_percent")});
  layout.add({"collector_up", "system", "system", SeriesDescription("collector_up")});
  return layout;
}

inline std::vector<AlertRule> seed_rules() {
  AlertRule cpu;
  cpu.metric = "cpu_percent";
  cpu.conditions = {{Severity::kCritical, Comparison::kAbove, 95},
                    {Severity::kWarning, Comparison::kAbove, 80}};
  cpu.clear[static_cast<size_t>(Severity::kWarning)] = 70;
  cpu.flapping = FlapDetection{};
  AlertRule up;
  up.metric = "collector_up";
  up.conditions = {{Severity::kCritical, Comparison::kBelow, 1}};
  return {cpu, up};
}

}  // namespace resync::fuzz

// SPDX-License-Identifier: MIT
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "resync/collector.hpp"

namespace resync::test {

/// Keeps the last value emitted per metric, for tests that call a collector directly.
class MapSink final : public SampleSink {
 public:
  void emit(std::string_view metric, double value) override { values[std::string(metric)] = value; }
  std::map<std::string, double> values;
};

}  // namespace resync::test

// SPDX-License-Identifier: MIT
// The alert state a state file carries (its alert section): any bytes restore or throw
// std::invalid_argument, and a restored engine evaluates on. Rules and layout are the seed's
// (alert_state_seed.hpp), so a fuzzer mutating real bytes reaches the matching of saved targets.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "alert_state_seed.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const resync::SeriesLayout layout = resync::fuzz::seed_layout();
  resync::AlertEngine engine(resync::fuzz::seed_rules(), layout);
  try {
    engine.restore_state(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const std::invalid_argument&) {
    return 0;
  }
  const double row[] = {97.0, 1.0};
  engine.evaluate(1'700'000'020'000, row, nullptr);
  return 0;
}

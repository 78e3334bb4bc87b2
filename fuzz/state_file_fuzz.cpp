// SPDX-License-Identifier: MIT
// The state file reader: any bytes on disk give a SavedState or a StateFormatError.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "resync/state_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const resync::SavedState state =
        resync::decode_state(std::string_view(reinterpret_cast<const char*>(data), size));
    // Touch what a restore reads.
    volatile double sink = 0;
    for (size_t c = 0; c < state.keys.size() && state.rows.rows > 0; ++c)
      sink = sink + state.rows.at(c, 0);
  } catch (const resync::StateFormatError&) {
  }
  return 0;
}

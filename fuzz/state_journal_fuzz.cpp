// SPDX-License-Identifier: MIT
// The state journal reader: any bytes on disk give the valid records or a JournalFormatError, and
// merging them into a state never reads out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "resync/state_journal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const resync::Journal journal =
        resync::decode_journal(std::string_view(reinterpret_cast<const char*>(data), size));
    if (journal.valid_bytes + journal.ignored_bytes != size) __builtin_trap();
    resync::SavedState state = resync::state_from_journal(journal);
    state.capacity = 4;
    resync::merge_journal(state, journal);
    if (state.rows.rows > 4 || state.rows.values.size() != state.rows.rows * state.keys.size())
      __builtin_trap();
  } catch (const resync::StateFormatError&) {
  }
  return 0;
}

// SPDX-License-Identifier: MIT
// Writes a valid state file to argv[1], the seed of state_file_fuzz, and optionally a journal
// continuing it to argv[2], the seed of state_journal_fuzz: a fuzzer starting from real bytes
// passes the magic, version and checksums instead of spending its time finding them.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "resync/ring_buffer.hpp"
#include "resync/series.hpp"
#include "resync/state_file.hpp"
#include "resync/state_journal.hpp"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: %s STATE_FILE [JOURNAL]\n", argv[0]);
    return 2;
  }
  using namespace resync;
  SeriesLayout layout;
  layout.add({"cpu_percent", "system", "system", SeriesDescription("cpu_percent")});
  layout.add({"collector_up", "system", "system", SeriesDescription("collector_up")});
  RingBuffer store(layout.size(), 4);
  store.append(1'700'000'000'000, {12.5, 1});
  store.append(1'700'000'005'000, {std::nan(""), 0});
  store.append(1'700'000'010'000, {99.75, 1});
  std::ofstream(argv[1], std::ios::binary)
      << encode_state(std::chrono::milliseconds{5000}, layout, store.snapshot());
  if (argc == 3) {
    StateJournal journal(argv[2]);
    journal.reset(std::chrono::milliseconds{5000},
                  {{"cpu_percent", "system"}, {"collector_up", "system"}}, 1'700'000'010'000);
    const double rows[3][2] = {{13.5, 1}, {std::nan(""), 0}, {1e300, 1}};
    for (int64_t r = 0; r < 3; ++r) journal.append(1'700'000'015'000 + r * 5000, rows[r]);
  }
  return 0;
}

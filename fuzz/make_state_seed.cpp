// SPDX-License-Identifier: MIT
// Writes a valid state file to argv[1], the seed of state_file_fuzz: a fuzzer starting from real
// bytes passes the magic, version and checksum instead of spending its time finding them.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "resync/ring_buffer.hpp"
#include "resync/series.hpp"
#include "resync/state_file.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
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
  return 0;
}

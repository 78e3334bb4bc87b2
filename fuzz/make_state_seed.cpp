// SPDX-License-Identifier: MIT
// Writes a valid state file to argv[1], the seed of state_file_fuzz, and optionally a journal
// continuing it to argv[2], the seed of state_journal_fuzz: a fuzzer starting from real bytes
// passes the magic, version and checksums instead of spending its time finding them. A third
// argument gets the alert state of a real engine with alerts firing, resolved and flapping, the
// seed of alert_state_fuzz.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "alert_state_seed.hpp"
#include "resync/ring_buffer.hpp"
#include "resync/series.hpp"
#include "resync/state_file.hpp"
#include "resync/state_journal.hpp"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s STATE_FILE [JOURNAL [ALERT_STATE]]\n", argv[0]);
    return 2;
  }
  using namespace resync;
  const SeriesLayout layout = fuzz::seed_layout();
  RingBuffer store(layout.size(), 4);
  store.append(1'700'000'000'000, {12.5, 1});
  store.append(1'700'000'005'000, {std::nan(""), 0});
  store.append(1'700'000'010'000, {99.75, 1});
  std::ofstream(argv[1], std::ios::binary)
      << encode_state(std::chrono::milliseconds{5000}, layout, store.snapshot());
  if (argc >= 3) {
    StateJournal journal(argv[2]);
    journal.reset(std::chrono::milliseconds{5000},
                  {{"cpu_percent", "system"}, {"collector_up", "system"}}, 1'700'000'010'000);
    const double rows[3][2] = {{13.5, 1}, {std::nan(""), 0}, {1e300, 1}};
    for (int64_t r = 0; r < 3; ++r) journal.append(1'700'000'015'000 + r * 5000, rows[r]);
  }
  if (argc == 4) {
    AlertEngine engine(fuzz::seed_rules(), layout);
    const double rows[][2] = {{99, 1}, {85, 0}, {50, 1}, {99, 1}, {50, 1}, {99, 0}};
    int64_t at = 1'700'000'000'000;
    for (const auto& row : rows) engine.evaluate(at += 5000, row, nullptr);
    std::ofstream(argv[3], std::ios::binary) << engine.save_state();
  }
  return 0;
}

// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resync/state_file.hpp"

namespace resync {

/// State journal format, version 1: `<state file>.journal`, the samples taken since the state
/// file was last written, one record per sample, appended as each is taken. Integers and doubles
/// are little-endian, strings a u32 byte count and their bytes (as in the state file).
///
///   magic "RSYNCJNL" (8 bytes) | u32 version = 1 | i64 interval_ms
///   i64 after_ms (the newest row of the state file it continues; INT64_MIN for none)
///   u32 series_count x (string metric, string instance) | u32 CRC-32 of the header before it
///   records, each: u32 CRC-32 of the rest of the record | i64 timestamp_ms | series_count x f64
///
/// Records have one fixed size, so the reader stops at the first record that is short, fails its
/// CRC or does not move time forward: that record and everything after it is a torn tail (a
/// write cut off by a kill) and is ignored. A header that fails its checks makes the whole
/// journal invalid (JournalFormatError).
inline constexpr uint32_t kJournalVersion = 1;

/// A journal whose header is not valid. what() is the reason, without the path.
class JournalFormatError : public StateFormatError {
 public:
  using StateFormatError::StateFormatError;
};

/// The valid part of a journal.
struct Journal {
  std::chrono::milliseconds interval{0};
  int64_t after_ms = INT64_MIN;
  std::vector<std::pair<std::string, std::string>> keys;  ///< (metric, instance) per column
  StoreSnapshot rows;        ///< the valid records, oldest first; rows.series_count == keys.size()
  size_t valid_bytes = 0;    ///< header plus the valid records
  size_t ignored_bytes = 0;  ///< the torn tail after them
};

/// Decodes a journal's bytes (at most kMaxStateFileBytes). Throws JournalFormatError for a bad
/// header; a bad record ends the valid part instead.
Journal decode_journal(std::string_view bytes);

/// Appends to `state` the journal's rows newer than its newest row, its columns mapped to the
/// state's by (metric, instance) (NaN where the journal lacks one), keeping at most
/// `state.capacity` rows (when not 0). A journal at another interval adds nothing. Returns the
/// number of rows added.
size_t merge_journal(SavedState& state, const Journal& journal);

/// A state file with no rows, on `journal`'s grid and series: what a journal alone restores.
SavedState state_from_journal(const Journal& journal);

/// Reads the state file at `path` and its journal `<path>.journal` and merges them, so readers see
/// every sample a running server has taken. Retries when a server rewrote the pair between the
/// two reads. nullopt when neither exists. A journal with a bad header is ignored (the state file
/// still reads). Throws what read_state_file() throws. Never modifies either file.
std::optional<SavedState> read_state_with_journal(const std::string& path);

/// The writer: opened by reset() after each successful save of the state file, then one append()
/// per sample. No fsync per record: a record written to the page cache survives a kill of the
/// process (the goal), though not a power cut; the state file itself is fsynced when saved.
///
/// Not thread-safe: used from the sampler thread, or while the sampler is stopped.
class StateJournal {
 public:
  /// Writes nothing yet; `path` is where the journal lives.
  explicit StateJournal(std::string path);
  ~StateJournal();
  StateJournal(const StateJournal&) = delete;
  StateJournal& operator=(const StateJournal&) = delete;

  const std::string& path() const { return path_; }
  /// Replaces the journal atomically with an empty one continuing a state file whose newest row
  /// is `after_ms`, and keeps it open for append(). Throws std::runtime_error naming the file;
  /// appends are then off until a reset() succeeds.
  void reset(std::chrono::milliseconds interval,
             const std::vector<std::pair<std::string, std::string>>& keys, int64_t after_ms);
  /// Appends one record of `values` (keys().size() doubles) with one write(). Never throws; a
  /// failure is logged once per distinct error and returns false. False, quietly, before reset().
  bool append(int64_t timestamp_ms, const double* values) noexcept;
  /// Closes the file (the journal stays on disk).
  void close() noexcept;

 private:
  std::string path_;
  int fd_ = -1;
  size_t series_count_ = 0;
  uint64_t bytes_ = 0;
  std::string record_;      // reused, so an append allocates nothing
  std::string last_error_;  // "" while appends succeed
};

}  // namespace resync

// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "resync/ring_buffer.hpp"
#include "resync/series.hpp"

namespace resync {

/// State file format, version 1. Every integer and double is little-endian; a string is a u32
/// byte count followed by its bytes (UTF-8, no terminator).
///
///   magic "RSYNCMON" (8 bytes) | u32 version = 1 | i64 interval_ms | u32 series_count
///   series_count x (string metric, string instance)
///   u64 rows | rows x i64 timestamp_ms (strictly increasing, oldest first)
///   series_count x rows x f64 values, column-major (one series after another); NaN = missing
///   u64 FNV-1a 64 of every byte before it
///
/// A reader rejects another magic or version, a short or over-long file and a checksum mismatch,
/// so a truncated or half-written file is never taken for a shorter history.
inline constexpr uint32_t kStateFileVersion = 1;

/// The content of a state file: the grid it was sampled on, its series and its rows.
struct SavedState {
  std::chrono::milliseconds interval{0};
  std::vector<SeriesKey> keys;  ///< metric and instance of each column; plugin is left empty
  StoreSnapshot rows;           ///< rows.series_count == keys.size()
};

/// A state file whose bytes are not a valid state file. what() is the reason ("truncated",
/// "bad magic", "unsupported version 7", "checksum mismatch", ...), without the path.
class StateFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Encodes `rows` of a store laid out as `layout` (rows.series_count must equal layout.size()).
/// Throws std::invalid_argument when they differ.
std::string encode_state(std::chrono::milliseconds interval, const SeriesLayout& layout, const StoreSnapshot& rows);
/// Decodes bytes written by encode_state(). Throws StateFormatError.
SavedState decode_state(std::string_view bytes);

/// Replaces `path` with `bytes` atomically: writes `<path>.tmp` in the same folder, fsyncs it,
/// renames it over `path` and fsyncs the folder, so a crash leaves either the old or the new
/// file, never a mix. Throws std::runtime_error naming the file ("cannot write /x/state.tmp: No
/// space left on device"); a failure before the rename leaves `path` untouched and removes the
/// `.tmp` if this call created it. `mode` is what open() creates the file with, so the umask
/// applies: 0640 keeps a state file private; a report a web server publishes wants 0666 (0644
/// under the usual umask).
void write_file_atomically(const std::string& path, std::string_view bytes, unsigned mode = 0640);

/// Reads and decodes the state file at `path`; nullopt when it does not exist. Throws
/// StateFormatError for a file that is not a valid state file and std::runtime_error naming
/// the path for any other read failure.
std::optional<SavedState> read_state_file(const std::string& path);

/// The `state_file` of a configuration, as the Monitor uses it: checked and restored before
/// sampling starts, saved while it runs and once more when it stops.
///
/// Not thread-safe: the Monitor calls it before the sampler starts, then only from the sampler
/// thread, then after the sampler has stopped.
class StateFile {
 public:
  /// How often save_if_due() saves at most.
  static constexpr std::chrono::seconds kSaveEvery{60};

  /// `config_source` names the configuration file in errors; `interval` and `window` are the
  /// configured ones.
  StateFile(std::string path, std::string config_source, std::chrono::milliseconds interval,
            std::chrono::milliseconds window);

  const std::string& path() const { return path_; }

  /// Throws ConfigError "<config>: state_file: cannot write <path>: <reason>" when a file cannot
  /// be created in the folder of `path` (checked by creating and removing a temporary file), or
  /// "<config>: state_file: <path> is not a regular file" when `path` exists as something else.
  void check_writable() const;

  /// Appends to `store`, oldest first, the saved rows with now_ms - window < timestamp < now_ms
  /// that are newer than the store's newest row, mapping saved columns to `layout` by (metric,
  /// instance): a series the file lacks gets NaN, a saved series the layout lacks is dropped.
  /// Returns the number of rows appended. A missing file restores nothing. A file saved at
  /// another interval restores nothing (one log line). A file that is not a valid state file is
  /// renamed to `<path>.corrupt-<epoch seconds>` (one warning line naming it) and restores
  /// nothing. Throws ConfigError naming the file when it exists but cannot be read or renamed,
  /// since starting anyway would overwrite it at the next save.
  size_t restore(const SeriesLayout& layout, RingBuffer& store, int64_t now_ms) const;

  /// Saves every row of `store` atomically. Never throws: a failure is logged as a warning the
  /// first time and again only when its text changes, and the first success after failures logs
  /// one line. Returns whether the file was written.
  bool save(const SeriesLayout& layout, const RingBuffer& store) noexcept;

  /// save() when kSaveEvery has passed since the last attempt; the first call only starts the
  /// clock. Returns whether a save was attempted.
  bool save_if_due(const SeriesLayout& layout, const RingBuffer& store,
                   std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  std::string path_;
  std::string config_source_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds window_;
  std::chrono::steady_clock::time_point last_attempt_;
  std::string last_error_;  // "" while saves succeed
};

}  // namespace resync

// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "resync/alert_engine.hpp"
#include "resync/error.hpp"
#include "resync/ring_buffer.hpp"
#include "resync/sampler.hpp"
#include "resync/series.hpp"
#include "resync/snapshot.hpp"

namespace resync {

/// State file format, version 3. Every integer and double is little-endian; a string is a u32
/// byte count followed by its bytes (UTF-8, no terminator); a bool is one byte, 0 or 1.
///
///   magic "RSYNCMON" (8 bytes) | u32 version = 3
///   i64 interval_ms | i64 window_ms | u64 capacity | i64 saved_at_ms | i64 started_at_ms
///   u32 series_count x (string metric, string instance, string plugin, u32 unit, u32 kind,
///                       string help, string current_field, string history_field, u32 flags)
///   u32 status_field_count x (string plugin, string field)
///   u64 rows | rows x i64 timestamp_ms (strictly increasing, oldest first)
///   series_count x rows x f64 values, column-major (one series after another); NaN = missing
///   u32 health_count x (string name, string plugin, bool up, string last_error,
///                       i64 last_error_at_ms, string status, f64 duration_ms,
///                       u32 consecutive_failures, i64 effective_interval_ms, u64 runs,
///                       u64 failures, i64 last_success_ms)
///   u64 runs_started | u64 ticks_skipped
///   u32 alert_count x alert (recent, newest first) | u32 active_count x alert (active now)
///     alert = string type, string instance, u32 severity (0 warning, 1 critical),
///             string message, f64 value, i64 timestamp_ms, i64 started_at_ms,
///             bool resolved, i64 resolved_at_ms
///   u32 section_count x (u32 tag, u32 byte count, bytes)     (version 3)
///     tag 1: the alert engine's state (AlertEngine::save_state(), at most 4 MiB); a reader
///     skips tags it does not know
///   u64 FNV-1a 64 of every byte before it
///
/// Version 2 (still read) is version 3 without the sections: it holds no alert engine state.
/// Version 1 (still read) has, after the version: i64 interval_ms | u32 series_count x (string
/// metric, string instance) | the rows and values as above | the checksum; its series have no
/// descriptions and it holds no health or alerts.
///
/// A reader rejects another magic or version, a short or over-long file, a checksum mismatch and
/// anything past the limits below, so a truncated or half-written file is never taken for a
/// shorter history and a hostile one cannot make it allocate more than the file's size.
inline constexpr uint32_t kStateFileVersion = 3;
/// Largest state file read: a 1,000,000-sample window (the configuration's limit) of 130 series.
inline constexpr uint64_t kMaxStateFileBytes = uint64_t{1} << 30;
/// Longest string (name, help, message, error) a state file may hold.
inline constexpr uint32_t kMaxStateStringBytes = 64 * 1024;

/// The content of a state file: the grid it was sampled on, its series with their descriptions,
/// its rows and, from version 2, collector health and alerts as they were when it was saved.
/// Read with its journal (read_state_with_journal()), the rows include the journal's.
struct SavedState {
  uint32_t version = kStateFileVersion;  ///< format version the file was written in
  std::chrono::milliseconds interval{0};
  std::chrono::milliseconds window{0};  ///< 0 in version 1 files
  size_t capacity = 0;                  ///< rows the window holds; 0 in version 1 files
  int64_t saved_at_ms = 0;              ///< when it was written; 0 in version 1 files
  int64_t started_at_ms = 0;            ///< when the saving monitor started; 0 if unknown
  std::vector<SeriesKey> keys;  ///< each column; version 1 files give metric and instance only
  std::map<std::string, std::string> status_fields;  ///< MonitorSnapshot::status_fields
  StoreSnapshot rows;                                ///< rows.series_count == keys.size()
  std::vector<CollectorHealth> health;
  std::vector<Alert> alerts;  ///< most recent, newest first
  std::vector<Alert> active;  ///< active when saved
  uint64_t runs_started = 0;
  uint64_t ticks_skipped = 0;
  std::string alert_state;  ///< AlertEngine::save_state(); "" before version 3 or when unsaved
};

/// A state file whose bytes are not a valid state file. what() is the reason ("truncated",
/// "bad magic", "unsupported version 7", "checksum mismatch", ...), without the path.
class StateFormatError : public Error {
 public:
  explicit StateFormatError(const std::string& reason) : Error(reason, kExitBadStateFile) {}
};

/// Encodes everything of `snap` a state file holds (the current version), with `alert_state`
/// (AlertEngine::save_state()) as its section. Throws std::invalid_argument when its store does
/// not match its series or `alert_state` is over AlertEngine::kMaxStateBytes.
std::string encode_state(const MonitorSnapshot& snap, std::string_view alert_state = {});
/// Encodes `rows` of a store laid out as `layout`, with no health or alerts (tests, tools).
/// Throws std::invalid_argument when rows.series_count differs from layout.size().
std::string encode_state(std::chrono::milliseconds interval, const SeriesLayout& layout,
                         const StoreSnapshot& rows);
/// Decodes bytes written by encode_state(), in this version or versions 1 and 2. Throws
/// StateFormatError.
SavedState decode_state(std::string_view bytes);

/// A snapshot for the views made of a decoded state file; `source` names the file.
MonitorSnapshot to_snapshot(SavedState state, std::string source);

/// Replaces `path` with `bytes` atomically: writes `<path>.tmp` in the same folder, fsyncs it,
/// renames it over `path` and fsyncs the folder, so a crash leaves either the old or the new
/// file, never a mix. Throws std::runtime_error naming the file ("cannot write /x/state.tmp: No
/// space left on device"); a failure before the rename leaves `path` untouched and removes the
/// `.tmp` if this call created it. `mode` is what open() creates the file with, so the umask
/// applies: 0640 keeps a state file private; a report a web server publishes wants 0666 (0644
/// under the usual umask).
void write_file_atomically(const std::string& path, std::string_view bytes, unsigned mode = 0640);

/// Reads and decodes the state file at `path`: opened once and read whole, so a file replaced
/// by a concurrent save is read either before or after, never half of each. nullopt when it does
/// not exist. Throws StateFormatError for a file that is not a valid state file (including one
/// over kMaxStateFileBytes) and std::runtime_error naming the path for any other read failure.
/// Never modifies the file.
std::optional<SavedState> read_state_file(const std::string& path);

class StateJournal;

/// The `state_file` of a configuration, as the Monitor uses it: claimed (locked), checked and
/// restored before sampling starts, each sample journaled, saved (compacting the journal) while
/// it runs and once more when it stops.
///
/// Beside `path`: `<path>.journal` (the samples since the last save, see state_journal.hpp),
/// `<path>.lock` (held with flock() while a server uses the file) and, after a bad file was set
/// aside, up to kKeepCorrupt `<path>.corrupt-<epoch seconds>` (and `.journal.corrupt-...`).
///
/// Not thread-safe: the Monitor calls it before the sampler starts, then only from the sampler
/// thread, then after the sampler has stopped.
class StateFile {
 public:
  /// How often save_if_due() saves at most, unless the constructor is given another period
  /// (the configuration's `state_save_interval`, whose default this is).
  static constexpr std::chrono::seconds kSaveEvery{60};
  /// How soon after mark_dirty() due() is true again: an alert transition is saved within a
  /// second, not a minute, without a flapping rule rewriting the file on every sample.
  static constexpr std::chrono::seconds kDirtySaveEvery{1};
  /// Bad files set aside that are kept, newest first; older ones are removed.
  static constexpr size_t kKeepCorrupt = 3;

  /// `config_source` names the configuration file in errors; `interval`, `window` and
  /// `save_every` (`state_save_interval`) are the configured ones.
  StateFile(std::string path, std::string config_source, std::chrono::milliseconds interval,
            std::chrono::milliseconds window,
            std::chrono::milliseconds save_every = std::chrono::milliseconds{kSaveEvery});
  ~StateFile();
  StateFile(const StateFile&) = delete;
  StateFile& operator=(const StateFile&) = delete;

  const std::string& path() const { return path_; }

  /// check_writable(), then takes the exclusive lock on `<path>.lock` (flock, no wait) and keeps
  /// it until release() or destruction; does nothing when already held. Throws StateLockedError
  /// ("<path> is in use by another resync-mon serve (pid N)") when another process holds it,
  /// ConfigError when the lock file cannot be created. Readers (read_state_with_journal()) never
  /// take it.
  void claim();
  /// Releases the lock. The lock file stays: removing it would race with the next claim().
  void release() noexcept;

  /// Throws ConfigError "<config>: state_file: cannot write <path>: <reason>" when a file cannot
  /// be created in the folder of `path` (checked by creating and removing a temporary file), or
  /// "<config>: state_file: <path> is not a regular file" when `path` exists as something else.
  void check_writable() const;

  /// Reads the state file and its journal, merged. A file that is not a valid state file, or a
  /// journal whose header is not valid, is renamed to `<file>.corrupt-<epoch seconds>` (one
  /// warning line naming it; only the newest kKeepCorrupt are kept) and is not used. A journal's
  /// torn tail is ignored and cut off (one line). nullopt when there is nothing to restore.
  /// Throws ConfigError naming the file when one exists but cannot be read or renamed, since
  /// starting anyway would overwrite it at the next save. Call after claim().
  std::optional<SavedState> load(int64_t now_ms) const;
  /// Appends to `store`, oldest first, the rows of `saved` with now_ms - window < timestamp <
  /// now_ms that are newer than the store's newest row, mapping saved columns to `layout` by
  /// (metric, instance): a series the file lacks gets NaN, a saved series the layout lacks is
  /// dropped. Returns the number of rows appended. A state saved at another interval restores
  /// nothing (one log line).
  size_t restore(const SavedState& saved, const SeriesLayout& layout, RingBuffer& store,
                 int64_t now_ms) const;
  /// load() and restore() of its rows.
  size_t restore(const SeriesLayout& layout, RingBuffer& store, int64_t now_ms) const;

  /// Saves `snap` (its rows, series descriptions, health and alerts) and `alert_state`
  /// atomically, then starts a new journal continuing it. Never throws: a failure is logged as a
  /// warning the first time and again only when its text changes, and the first success after
  /// failures logs one line; after a failure the journal goes on growing. Returns whether the
  /// file was written.
  bool save(const MonitorSnapshot& snap, std::string_view alert_state = {}) noexcept;
  /// Saves every row of `store` with bare series keys and no health or alerts (tests).
  bool save(const SeriesLayout& layout, const RingBuffer& store) noexcept;
  /// Journals one sample (a row of the layout saved last); nothing before the first successful
  /// save(). Never throws.
  void record(int64_t timestamp_ms, const double* row) noexcept;

  /// Whether `save_every` has passed since the last call that returned true (kDirtySaveEvery,
  /// or `save_every` if shorter, after mark_dirty()); the first call only starts the clock. The
  /// caller then takes a snapshot and save()s it, so a snapshot is only copied when a save is due.
  bool due(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  /// Something the journal does not hold changed (an alert transition): save soon.
  void mark_dirty() { dirty_ = true; }
  /// save() of the store when due(). Returns whether a save was attempted.
  bool save_if_due(const SeriesLayout& layout, const RingBuffer& store,
                   std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  void set_aside(const std::string& file, const std::string& what, const std::string& reason,
                 int64_t now_ms) const;

  std::string path_;
  std::string config_source_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds window_;
  std::chrono::milliseconds save_every_;
  std::chrono::steady_clock::time_point last_attempt_;
  std::string last_error_;  // "" while saves succeed
  bool dirty_ = false;
  int lock_fd_ = -1;
  std::unique_ptr<StateJournal> journal_;  // resync/state_journal.hpp
};

}  // namespace resync

// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

/// Reading an nginx/Apache access log for the `api` collector, free of plugin plumbing so that
/// tests can drive it on files they write.
namespace resync::plugin::api {

/// What the api collector needs from one access log line.
struct AccessLogEntry {
  int status = 0;
  /// The last field as a number in the log's unit (nginx $request_time: seconds), or NaN when
  /// the line has no such field ("-", or a format without the request time).
  double request_time = 0;
};

/// Parses a line of the combined (or common) log format with the request time as the last
/// field: `host ident user [time] "request" status bytes ["referer" "agent"] time`. The status
/// is the field after the quoted request (which may contain \" escapes); the request time is the
/// last field when at least one field (the bytes) lies between it and the status. Returns
/// nullopt for a line that is not in that format.
std::optional<AccessLogEntry> parse_access_log_line(std::string_view line);

/// Follows a log file the way `tail -F` does: starts at the end of the file as it is at
/// construction (no replay of history), hands over complete lines only (a partial last line
/// waits for its newline), survives rotation by rename (when the path names a new file, the old
/// one is read to its end, then read once more at the next poll for what its writer added before
/// reopening, then closed) and by copytruncate (a file shorter than the read position is read
/// again from its start). A file that appears after construction is read from its start.
/// Memory is bounded: a line longer than kMaxLineBytes is dropped.
/// Not thread-safe: one per collector instance.
class LogFollower {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxLineBytes = 64 * 1024;

  /// Never throws for a missing file: it may appear later.
  explicit LogFollower(std::string path);
  ~LogFollower();
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;

  /// Calls `on_line` (without the line end, "\r" removed) for every complete line written since
  /// the previous poll, stopping early at `deadline` (the rest waits for the next poll).
  /// Throws std::runtime_error naming the path when there is no file to read at all.
  void poll(const std::function<void(std::string_view)>& on_line, Clock::time_point deadline);

  /// Counters since construction, for the collector's status line.
  size_t rotations() const { return rotations_; }
  size_t truncations() const { return truncations_; }
  size_t dropped_lines() const { return dropped_lines_; }

 private:
  struct File {
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t offset = 0;
    std::string partial;           ///< bytes after the last newline read so far
    bool skip_to_newline = false;  ///< positioned mid-line: drop up to the next newline
  };

  bool open_file(File& file, bool at_end);
  void close_file(File& file);
  /// Reads `file` from its offset to its current end (or the deadline).
  void drain(File& file, const std::function<void(std::string_view)>& on_line,
             Clock::time_point deadline);

  std::string path_;
  File current_;
  File rotated_;  ///< the previous file after a rename, read once more then closed
  size_t rotations_ = 0;
  size_t truncations_ = 0;
  size_t dropped_lines_ = 0;
};

}  // namespace resync::plugin::api

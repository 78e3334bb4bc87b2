// SPDX-License-Identifier: MIT
#include "resync/state_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <utility>

#include "resync/config.hpp"
#include "resync/error.hpp"
#include "resync/log.hpp"
#include "resync/state_journal.hpp"
#include "resync/util/duration.hpp"
#include "state_bytes.hpp"

namespace resync {
namespace {

std::string errno_text(int error) { return std::strerror(error); }

[[noreturn]] void fail_write(const std::string& file, int error) {
  throw std::runtime_error("cannot write " + file + ": " + errno_text(error));
}

std::string folder_of(const std::string& path) {
  const std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

// Closes on scope exit; close() errors that matter are checked explicitly before.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes, unsigned mode) {
  const std::string tmp = path + ".tmp";
  // No O_EXCL: a .tmp left by a crash mid-save must not block every later save. O_NOFOLLOW: a
  // symlink planted at the .tmp name must not redirect the write.
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
               static_cast<mode_t>(mode)));
  if (fd.get() < 0) fail_write(tmp, errno);
  auto fail_and_remove = [&tmp](int error) {
    ::unlink(tmp.c_str());
    fail_write(tmp, error);
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_and_remove(errno);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) fail_and_remove(errno);
  // close() can report a deferred write error (NFS), so it is checked, not left to ~Fd.
  if (::close(fd.release()) != 0) fail_and_remove(errno);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + errno_text(error));
  }
  // Without syncing the folder the rename itself may not survive a power cut.
  const std::string folder = folder_of(path);
  Fd dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
    throw std::runtime_error("cannot sync folder " + folder + " after writing " + path + ": " +
                             errno_text(errno));
  }
}

namespace detail {

std::optional<std::string> read_bounded_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw std::runtime_error("cannot read " + path + ": " + errno_text(errno));
  }
  // Bounded before reading: a file too large for a state file is not one, and is not loaded.
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    throw std::runtime_error("cannot read " + path + ": " + errno_text(errno));
  if (!S_ISREG(st.st_mode))
    throw std::runtime_error("cannot read " + path + ": not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxStateFileBytes) {
    throw StateFormatError("larger than the limit of 1 GiB");
  }
  std::string bytes;
  bytes.reserve(static_cast<size_t>(st.st_size));
  char buffer[1 << 16];
  for (;;) {
    if (bytes.size() > kMaxStateFileBytes) throw StateFormatError("larger than the limit of 1 GiB");
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot read " + path + ": " + errno_text(errno));
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  return bytes;
}

}  // namespace detail

std::optional<SavedState> read_state_file(const std::string& path) {
  std::optional<std::string> bytes = detail::read_bounded_file(path);
  if (!bytes) return std::nullopt;
  return decode_state(*bytes);
}

StateFile::StateFile(std::string path, std::string config_source,
                     std::chrono::milliseconds interval, std::chrono::milliseconds window,
                     std::chrono::milliseconds save_every)
    : path_(std::move(path)),
      config_source_(std::move(config_source)),
      interval_(interval),
      window_(window),
      save_every_(save_every),
      journal_(std::make_unique<StateJournal>(path_ + ".journal")) {}

StateFile::~StateFile() { release(); }

void StateFile::claim() {
  if (lock_fd_ >= 0) return;
  // First, so that a missing folder is reported as such rather than as a lock file it cannot hold.
  check_writable();
  const std::string lock_path = path_ + ".lock";
  Fd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640));
  if (fd.get() < 0) {
    throw ConfigError(config_message(config_source_, 0, "state_file",
                                     "cannot create " + lock_path + ": " + errno_text(errno)));
  }
  // flock, not fcntl locks: they belong to the open file, so nothing else in this process (a
  // reader closing its own descriptor of the file) can drop them by accident.
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    if (error != EWOULDBLOCK) {
      throw ConfigError(config_message(config_source_, 0, "state_file",
                                       "cannot lock " + lock_path + ": " + errno_text(error)));
    }
    char pid[32] = {};
    const ssize_t n = ::pread(fd.get(), pid, sizeof pid - 1, 0);
    std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : "";
    holder.erase(
        std::remove_if(holder.begin(), holder.end(), [](char c) { return !std::isdigit(c); }),
        holder.end());
    throw StateLockedError(path_ + " is in use by another resync-mon serve" +
                           (holder.empty() ? std::string() : " (pid " + holder + ")") +
                           "; give each server its own state_file");
  }
  // The holder's PID, for the message above; the lock itself is what counts.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) {
    log_warning("cannot write the PID into " + lock_path + ": " + errno_text(errno));
  }
  lock_fd_ = fd.release();
}

void StateFile::release() noexcept {
  journal_->close();
  if (lock_fd_ >= 0) ::close(lock_fd_);
  lock_fd_ = -1;
}

void StateFile::check_writable() const {
  auto fail = [this](const std::string& message) {
    throw ConfigError(config_message(config_source_, 0, "state_file", message));
  };
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    fail(path_ + " is not a regular file");
  std::string probe = folder_of(path_) + "/.resync-mon-check-XXXXXX";
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) fail("cannot write " + path_ + ": " + errno_text(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

std::optional<SavedState> StateFile::load(int64_t now_ms) const {
  std::optional<SavedState> saved;
  try {
    saved = read_state_file(path_);
  } catch (const StateFormatError& e) {
    set_aside(path_, "state file", e.what(), now_ms);
  } catch (const std::runtime_error& e) {
    throw ConfigError(config_message(config_source_, 0, "state_file", e.what()));
  }
  const std::string journal_path = path_ + ".journal";
  std::optional<std::string> bytes;
  Journal journal;
  try {
    bytes = detail::read_bounded_file(journal_path);
    if (bytes) journal = decode_journal(*bytes);
  } catch (const StateFormatError& e) {
    set_aside(journal_path, "state journal", e.what(), now_ms);
    return saved;
  } catch (const std::runtime_error& e) {
    throw ConfigError(config_message(config_source_, 0, "state_file", e.what()));
  }
  if (!bytes) return saved;
  if (journal.ignored_bytes > 0) {
    // The record a kill cut short. Cut off now, or the next journal's first records would be
    // read after it and lost.
    log_info("state journal " + journal_path + ": ignored a torn record at its end (" +
             std::to_string(journal.ignored_bytes) + " bytes)");
    if (::truncate(journal_path.c_str(), static_cast<off_t>(journal.valid_bytes)) != 0)
      log_warning("cannot truncate " + journal_path + ": " + errno_text(errno));
  }
  if (!saved) saved = state_from_journal(journal);
  merge_journal(*saved, journal);
  return saved;
}

// Keep the bad file for a post-mortem instead of overwriting it at the next save, but only the
// newest few: a server restarted in a loop on a bad disk must not fill it with copies.
void StateFile::set_aside(const std::string& file, const std::string& what,
                          const std::string& reason, int64_t now_ms) const {
  const std::string corrupt = file + ".corrupt-" + std::to_string(now_ms / 1000);
  if (std::rename(file.c_str(), corrupt.c_str()) != 0) {
    const std::string why = errno_text(errno);
    throw ConfigError(config_message(config_source_, 0, "state_file",
                                     file + " is not a valid " + what + " (" + reason +
                                         ") and cannot be renamed to " + corrupt + ": " + why));
  }
  log_warning(what + " " + file + " is not a valid " + what + " (" + reason + "); renamed it to " +
              corrupt +
              (file == path_ ? " and starting with an empty window" : " and restoring without it"));
  const std::filesystem::path base(file);
  const std::string prefix = base.filename().string() + ".corrupt-";
  std::vector<std::pair<int64_t, std::filesystem::path>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder_of(file), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string stamp = name.substr(prefix.size());
    if (stamp.empty() || stamp.find_first_not_of("0123456789") != std::string::npos) continue;
    found.emplace_back(std::stoll(stamp), entry.path());
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a > b; });
  for (size_t i = kKeepCorrupt; i < found.size(); ++i) {
    if (std::filesystem::remove(found[i].second, ec))
      log_info("removed " + found[i].second.string() + " (older than the newest " +
               std::to_string(kKeepCorrupt) + " set aside)");
  }
}

size_t StateFile::restore(const SeriesLayout& layout, RingBuffer& store, int64_t now_ms) const {
  const std::optional<SavedState> saved = load(now_ms);
  return saved ? restore(*saved, layout, store, now_ms) : 0;
}

size_t StateFile::restore(const SavedState& saved, const SeriesLayout& layout, RingBuffer& store,
                          int64_t now_ms) const {
  if (saved.interval != interval_) {
    log_warning("state file " + path_ + " was saved at interval " +
                format_duration(saved.interval) + ", not the configured " +
                format_duration(interval_) +
                ": its samples are off the grid, starting with an empty window");
    return 0;
  }

  std::map<std::pair<std::string_view, std::string_view>, size_t> saved_column;
  for (size_t s = 0; s < saved.keys.size(); ++s)
    saved_column[{saved.keys[s].metric, saved.keys[s].instance}] = s;
  std::vector<std::optional<size_t>> source(layout.size());
  size_t matched = 0;
  for (size_t c = 0; c < layout.size(); ++c) {
    auto it = saved_column.find({layout.key(c).metric, layout.key(c).instance});
    if (it != saved_column.end()) {
      source[c] = it->second;
      ++matched;
    }
  }

  const StoreSnapshot newest = store.snapshot(1);
  const int64_t after_ms =
      std::max(now_ms - window_.count(), newest.empty() ? INT64_MIN : newest.timestamps_ms[0]);
  const StoreSnapshot& rows = saved.rows;
  std::vector<double> row(layout.size());
  size_t restored = 0;
  for (size_t r = 0; r < rows.rows; ++r) {
    const int64_t t = rows.timestamps_ms[r];
    if (t <= after_ms || t >= now_ms) continue;
    for (size_t c = 0; c < layout.size(); ++c) {
      row[c] = source[c] ? rows.at(*source[c], r) : std::numeric_limits<double>::quiet_NaN();
    }
    store.append(t, row);
    ++restored;
  }
  log_info("restored " + std::to_string(restored) + " samples from " + path_ + " (" +
           std::to_string(matched) + " of " + std::to_string(layout.size()) +
           " series found in it)");
  return restored;
}

bool StateFile::save(const SeriesLayout& layout, const RingBuffer& store) noexcept {
  MonitorSnapshot snap;
  try {
    snap.interval = interval_;
    snap.window = window_;
    snap.capacity = store.capacity();
    snap.series = std::make_shared<const std::vector<SeriesKey>>(layout.keys());
    snap.store = store.snapshot();
  } catch (...) {
    return false;
  }
  return save(snap);
}

bool StateFile::save(const MonitorSnapshot& snap, std::string_view alert_state) noexcept {
  std::string error;
  try {
    write_file_atomically(path_, encode_state(snap, alert_state));
    // Only after the rename: a kill in between leaves the old journal, whose rows the new state
    // file already holds and a restore skips.
    std::vector<std::pair<std::string, std::string>> keys;
    for (const SeriesKey& k : snap.keys()) keys.emplace_back(k.metric, k.instance);
    const StoreSnapshot& rows = snap.store;
    journal_->reset(snap.interval, keys, rows.rows ? rows.timestamps_ms.back() : INT64_MIN);
  } catch (const std::exception& e) {
    error = e.what();
    if (error.empty()) error = "unknown error";
  } catch (...) {
    error = "unknown error";
  }
  try {
    // One line per distinct error: a full disk must not add a line to the log every minute.
    if (!error.empty()) {
      if (error != last_error_)
        log_warning("cannot save the state file (sampling goes on): " + error);
      last_error_ = std::move(error);
      return false;
    }
    if (!last_error_.empty()) log_info("state file " + path_ + " saved again");
    last_error_.clear();
  } catch (...) {
  }
  return true;
}

void StateFile::record(int64_t timestamp_ms, const double* row) noexcept {
  journal_->append(timestamp_ms, row);
}

bool StateFile::due(std::chrono::steady_clock::time_point now) {
  if (last_attempt_ == std::chrono::steady_clock::time_point{}) {
    last_attempt_ = now;
    return false;
  }
  const std::chrono::milliseconds every =
      dirty_ ? std::min<std::chrono::milliseconds>(kDirtySaveEvery, save_every_) : save_every_;
  if (now - last_attempt_ < every) return false;
  last_attempt_ = now;
  dirty_ = false;
  return true;
}

bool StateFile::save_if_due(const SeriesLayout& layout, const RingBuffer& store,
                            std::chrono::steady_clock::time_point now) {
  if (!due(now)) return false;
  save(layout, store);
  return true;
}

}  // namespace resync

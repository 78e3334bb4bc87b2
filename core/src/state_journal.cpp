// SPDX-License-Identifier: MIT
// The state journal (format in resync/state_journal.hpp): written per sample, read on restore
// and by the readers of a state file.
#include "resync/state_journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <thread>

#include "resync/log.hpp"
#include "state_bytes.hpp"

namespace resync {
namespace {

using detail::Reader;
using detail::Writer;

constexpr std::string_view kMagic = "RSYNCJNL";

// CRC-32 (IEEE, as zlib's): per record, where FNV-1a over the whole state file would not find
// the end of the valid part.
constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = make_crc_table();

uint32_t crc32(std::string_view bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string encode_header(std::chrono::milliseconds interval,
                          const std::vector<std::pair<std::string, std::string>>& keys,
                          int64_t after_ms) {
  std::string out(kMagic);
  Writer w(out);
  w.u32(kJournalVersion);
  w.i64(interval.count());
  w.i64(after_ms);
  w.u32(static_cast<uint32_t>(keys.size()));
  for (const auto& [metric, instance] : keys) {
    w.string(metric);
    w.string(instance);
  }
  w.u32(crc32(out));
  return out;
}

// Rows are appended column-major: rebuild the values with room for the new rows.
void append_rows(StoreSnapshot& to, const std::vector<int64_t>& times,
                 const std::vector<double>& row_major) {
  const size_t old_rows = to.rows, rows = old_rows + times.size(), n = to.series_count;
  std::vector<double> values(n * rows);
  for (size_t s = 0; s < n; ++s) {
    std::copy_n(to.values.begin() + static_cast<ptrdiff_t>(s * old_rows), old_rows,
                values.begin() + static_cast<ptrdiff_t>(s * rows));
    for (size_t r = 0; r < times.size(); ++r)
      values[s * rows + old_rows + r] = row_major[r * n + s];
  }
  to.values = std::move(values);
  to.timestamps_ms.insert(to.timestamps_ms.end(), times.begin(), times.end());
  to.rows = rows;
  to.appended += times.size();
}

void keep_newest(StoreSnapshot& s, size_t capacity) {
  if (capacity == 0 || s.rows <= capacity) return;
  const size_t drop = s.rows - capacity;
  std::vector<double> values(s.series_count * capacity);
  for (size_t c = 0; c < s.series_count; ++c) {
    std::copy_n(s.values.begin() + static_cast<ptrdiff_t>(c * s.rows + drop), capacity,
                values.begin() + static_cast<ptrdiff_t>(c * capacity));
  }
  s.values = std::move(values);
  s.timestamps_ms.erase(s.timestamps_ms.begin(),
                        s.timestamps_ms.begin() + static_cast<ptrdiff_t>(drop));
  s.rows = capacity;
}

}  // namespace

Journal decode_journal(std::string_view bytes) {
  if (bytes.size() > kMaxStateFileBytes) throw JournalFormatError("larger than the limit of 1 GiB");
  Journal j;
  Reader in(bytes);
  try {
    if (in.take(kMagic.size()) != kMagic) throw JournalFormatError("bad magic");
    const uint32_t version = in.u32();
    if (version != kJournalVersion)
      throw JournalFormatError("unsupported version " + std::to_string(version));
    const int64_t interval_ms = in.i64();
    if (interval_ms <= 0) throw JournalFormatError("interval " + std::to_string(interval_ms));
    j.interval = std::chrono::milliseconds(interval_ms);
    j.after_ms = in.i64();
    const uint32_t n = in.count(detail::kMaxSeries, 8, "series");
    for (uint32_t i = 0; i < n; ++i) {
      std::string metric = in.string("metric");
      j.keys.emplace_back(std::move(metric), in.string("instance"));
    }
    const size_t header = in.position();
    if (in.u32() != crc32(bytes.substr(0, header))) throw JournalFormatError("header CRC mismatch");
  } catch (const JournalFormatError&) {
    throw;
  } catch (const StateFormatError& e) {
    throw JournalFormatError(std::string("header: ") + e.what());
  }
  const size_t n = j.keys.size();
  const size_t record = 4 + 8 + 8 * n;
  std::vector<int64_t> times;
  std::vector<double> values;
  times.reserve(in.remaining() / record);
  values.reserve(in.remaining() / record * n);
  while (in.remaining() >= record) {
    const std::string_view bytes_of = bytes.substr(in.position(), record);
    Reader r(bytes_of);
    const uint32_t crc = r.u32();
    if (crc != crc32(bytes_of.substr(4))) break;
    const int64_t t = r.i64();
    if (!times.empty() && t <= times.back()) break;
    times.push_back(t);
    for (size_t s = 0; s < n; ++s) values.push_back(r.f64());
    in.take(record);
  }
  j.valid_bytes = in.position();
  j.ignored_bytes = in.remaining();
  j.rows.series_count = n;
  append_rows(j.rows, times, values);
  return j;
}

size_t merge_journal(SavedState& state, const Journal& journal) {
  if (journal.interval != state.interval) return 0;
  const int64_t newest =
      state.rows.rows ? state.rows.timestamps_ms.back() : std::numeric_limits<int64_t>::min();
  std::map<std::pair<std::string_view, std::string_view>, size_t> column;
  for (size_t c = 0; c < journal.keys.size(); ++c)
    column[{journal.keys[c].first, journal.keys[c].second}] = c;
  std::vector<std::optional<size_t>> source(state.keys.size());
  for (size_t c = 0; c < state.keys.size(); ++c) {
    auto it = column.find({state.keys[c].metric, state.keys[c].instance});
    if (it != column.end()) source[c] = it->second;
  }
  std::vector<int64_t> times;
  std::vector<double> values;
  const StoreSnapshot& rows = journal.rows;
  for (size_t r = 0; r < rows.rows; ++r) {
    if (rows.timestamps_ms[r] <= newest) continue;
    times.push_back(rows.timestamps_ms[r]);
    for (const auto& s : source)
      values.push_back(s ? rows.at(*s, r) : std::numeric_limits<double>::quiet_NaN());
  }
  state.rows.series_count = state.keys.size();
  append_rows(state.rows, times, values);
  keep_newest(state.rows, state.capacity);
  return times.size();
}

SavedState state_from_journal(const Journal& journal) {
  SavedState s;
  s.interval = journal.interval;
  for (const auto& [metric, instance] : journal.keys) {
    SeriesKey key;
    key.metric = metric;
    key.instance = instance;
    key.description.name = metric;
    s.keys.push_back(std::move(key));
  }
  s.rows.series_count = s.keys.size();
  return s;
}

StateJournal::StateJournal(std::string path) : path_(std::move(path)) {}

StateJournal::~StateJournal() { close(); }

void StateJournal::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void StateJournal::reset(std::chrono::milliseconds interval,
                         const std::vector<std::pair<std::string, std::string>>& keys,
                         int64_t after_ms) {
  close();
  const std::string header = encode_header(interval, keys, after_ms);
  // Replaced, not truncated in place: a reader opening it meanwhile gets the old journal or the
  // new one, never a half-written header.
  write_file_atomically(path_, header);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path_ + ": " + std::strerror(errno));
  series_count_ = keys.size();
  bytes_ = header.size();
  record_.reserve(4 + 8 + 8 * series_count_);
  last_error_.clear();
}

bool StateJournal::append(int64_t timestamp_ms, const double* values) noexcept {
  if (fd_ < 0) return false;
  std::string error;
  // Bounded like its reader: a journal never compacted (saves failing for days) stops growing.
  if (bytes_ + record_.size() > kMaxStateFileBytes) {
    error = path_ + " reached the limit of 1 GiB; samples are no longer journaled";
  } else {
    // Shrinking keeps the capacity reset() reserved, so this allocates nothing.
    record_.resize(4);
    Writer w(record_);
    w.i64(timestamp_ms);
    for (size_t s = 0; s < series_count_; ++s) w.f64(values[s]);
    const uint32_t crc = crc32(std::string_view(record_).substr(4));
    for (size_t i = 0; i < 4; ++i) record_[i] = static_cast<char>(crc >> (8 * i));
    // One write() per record: a kill leaves it whole or torn at the end, never interleaved.
    ssize_t n;
    do {
      n = ::write(fd_, record_.data(), record_.size());
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(record_.size())) {
      bytes_ += record_.size();
      if (last_error_.empty()) return true;
    } else {
      error = "cannot append to " + path_ + ": " +
              (n < 0 ? std::strerror(errno) : "short write (disk full?)");
      // A torn record would end the valid part for every record after it: cut it off.
      if (n > 0 && ::ftruncate(fd_, static_cast<off_t>(bytes_)) != 0) close();
    }
  }
  try {
    if (error.empty()) {
      log_info("state journal " + path_ + " written again");
    } else if (error != last_error_) {
      log_warning(error + " (sampling goes on)");
    }
    last_error_ = std::move(error);
  } catch (...) {
  }
  return last_error_.empty();
}

std::optional<SavedState> read_state_with_journal(const std::string& path) {
  // A server saves the state file, then resets the journal: read between the two, a journal that
  // continues a newer state file than the one read leaves a gap, so read the pair again.
  for (int attempt = 0;; ++attempt) {
    std::optional<SavedState> state = read_state_file(path);
    std::optional<std::string> bytes = detail::read_bounded_file(path + ".journal");
    if (!bytes) return state;
    Journal journal;
    try {
      journal = decode_journal(*bytes);
    } catch (const JournalFormatError&) {
      return state;
    }
    const int64_t newest = state && state->rows.rows ? state->rows.timestamps_ms.back()
                                                     : std::numeric_limits<int64_t>::min();
    if (journal.after_ms > newest && attempt < 3) {
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
      continue;
    }
    if (!state) state = state_from_journal(journal);
    merge_journal(*state, journal);
    return state;
  }
}

}  // namespace resync

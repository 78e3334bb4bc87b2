// SPDX-License-Identifier: MIT
// Byte-level encoding shared by the state file (state_codec.cpp), its journal (state_journal.cpp)
// and the alert engine's saved state (alert_state.cpp): fixed little-endian integers, doubles as
// their bits, strings as a u32 length and bytes. Every read is bounds-checked and throws
// StateFormatError.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "resync/state_file.hpp"

namespace resync::detail {

/// Most series a state file or journal may list: far above any configuration, far below what
/// would let a hostile count allocate much.
inline constexpr uint32_t kMaxSeries = 100'000;

inline uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Fixed little-endian encoding, so a file moved between machines still reads.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u64(uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_.append(b, 8);
  }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    u64(bits);
  }
  void raw(std::string_view bytes) { out_.append(bytes); }
  void boolean(bool v) { out_.push_back(v ? 1 : 0); }
  // Longer strings are cut, not refused: a 100 KB error text must not stop every later save.
  void string(const std::string& s) {
    const size_t n = std::min<size_t>(s.size(), kMaxStateStringBytes);
    u32(static_cast<uint32_t>(n));
    out_.append(s, 0, n);
  }

 private:
  std::string& out_;
};

/// Bounds-checked reads over bytes the caller keeps alive.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  size_t remaining() const { return bytes_.size() - pos_; }
  size_t position() const { return pos_; }
  std::string_view take(size_t n) {
    if (n > remaining()) throw StateFormatError("truncated");
    const std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  uint64_t u64() {
    const std::string_view b = take(8);
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[i]);
    return v;
  }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  // A time in ms since the epoch, or INT64_MIN ("never"): anything beyond 2^53 ms (285,000
  // years) either way is damage, and would overflow the differences the alert engine takes.
  int64_t time_ms(const char* what) {
    const int64_t v = i64();
    constexpr int64_t kLimit = int64_t{1} << 53;
    if (v != std::numeric_limits<int64_t>::min() && (v > kLimit || v < -kLimit))
      throw StateFormatError(std::string(what) + " out of range");
    return v;
  }
  uint8_t u8() { return static_cast<uint8_t>(take(1)[0]); }
  // A small enumeration or level: anything above `max` is damage, not a value to cast.
  uint8_t u8(uint8_t max, const char* what) {
    const uint8_t v = u8();
    if (v > max) throw StateFormatError(std::string("bad ") + what + " " + std::to_string(v));
    return v;
  }
  uint32_t u32() {
    const std::string_view b = take(4);
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[i]);
    return v;
  }
  double f64() {
    const uint64_t bits = u64();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  bool boolean() {
    const char c = take(1)[0];
    if (c != 0 && c != 1) throw StateFormatError("bad boolean");
    return c == 1;
  }
  std::string string(const char* what) {
    const uint32_t n = u32();
    if (n > kMaxStateStringBytes)
      throw StateFormatError(std::string(what) + " longer than the limit");
    return std::string(take(n));
  }
  // A count of items of at least `min_bytes` each: bounded by the bytes left before anything is
  // allocated, so a damaged count cannot ask for gigabytes.
  uint32_t count(uint32_t limit, size_t min_bytes, const char* what) {
    const uint32_t n = u32();
    if (n > limit)
      throw StateFormatError(std::string(what) + " count " + std::to_string(n) + " over the limit");
    if (n > remaining() / min_bytes) throw StateFormatError("truncated");
    return n;
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

/// Fewest bytes write_alert() writes: three empty strings and the severity, three 8-byte numbers,
/// the resolved flag and time.
inline constexpr size_t kMinAlertBytes = 4 * 4 + 3 * 8 + 1 + 8;

/// The fields of an alert the state file lists (not its rule, state, threshold or id, which only
/// the alert engine's own state keeps).
inline void write_alert(Writer& w, const Alert& a) {
  w.string(a.type);
  w.string(a.instance);
  w.u32(a.severity == Severity::kCritical ? 1 : 0);
  w.string(a.message);
  w.f64(a.value);
  w.i64(a.timestamp_ms);
  w.i64(a.started_at_ms);
  w.boolean(a.resolved_at_ms.has_value());
  w.i64(a.resolved_at_ms.value_or(0));
}

inline Alert read_alert(Reader& in) {
  Alert a;
  a.type = in.string("alert type");
  a.instance = in.string("alert instance");
  const uint32_t severity = in.u32();
  if (severity > 1) throw StateFormatError("unknown alert severity " + std::to_string(severity));
  a.severity = severity ? Severity::kCritical : Severity::kWarning;
  a.message = in.string("alert message");
  a.value = in.f64();
  a.timestamp_ms = in.time_ms("alert time");
  a.started_at_ms = in.time_ms("alert start");
  const bool resolved = in.boolean();
  const int64_t resolved_at = in.time_ms("alert end");
  if (resolved) a.resolved_at_ms = resolved_at;
  return a;
}

/// The whole file at `path`, opened once and read to its end; nullopt when it does not exist.
/// Throws StateFormatError when it is over kMaxStateFileBytes and std::runtime_error naming the
/// path for any other failure (state_file.cpp).
std::optional<std::string> read_bounded_file(const std::string& path);

}  // namespace resync::detail

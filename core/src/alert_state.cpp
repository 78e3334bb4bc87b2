// SPDX-License-Identifier: MIT
// The alert engine's saved state: "RSALERTS", version, body length, body, FNV-1a 64 of all that.
// Little-endian integers, doubles as their bits, strings as a 32-bit length and bytes. Every read
// is bounds-checked, so a truncated or corrupt blob is refused, never read past its end.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <stdexcept>

#include "alert_target.hpp"

namespace resync {
namespace {

constexpr std::string_view kMagic = "RSALERTS";
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxString = 64 * 1024;
constexpr uint32_t kMaxRecords = 100000;

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    u64(bits);
  }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(std::min<size_t>(s.size(), kMaxString)));
    out_.append(s, 0, std::min<size_t>(s.size(), kMaxString));
  }
  void alert(const Alert& a) {
    str(a.type);
    str(a.instance);
    u8(static_cast<uint8_t>(a.severity));
    str(a.message);
    f64(a.value);
    i64(a.timestamp_ms);
    i64(a.started_at_ms);
    u8(a.resolved_at_ms ? 1 : 0);
    i64(a.resolved_at_ms.value_or(0));
    str(a.rule);
    u8(static_cast<uint8_t>(a.state));
    u8(a.absent ? 1 : 0);
    f64(a.threshold);
    u64(a.id);
  }

 private:
  std::string& out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  uint8_t u8() { return static_cast<uint8_t>(take(1)[0]); }
  uint32_t u32() {
    const std::string_view b = take(4);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(static_cast<uint8_t>(b[size_t(i)])) << (8 * i);
    return v;
  }
  uint64_t u64() {
    const std::string_view b = take(8);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t(static_cast<uint8_t>(b[size_t(i)])) << (8 * i);
    return v;
  }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  double f64() {
    const uint64_t bits = u64();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  std::string str() {
    const uint32_t n = u32();
    if (n > kMaxString) fail("string too long");
    return std::string(take(n));
  }
  uint8_t bounded(uint8_t max, const char* what) {
    const uint8_t v = u8();
    if (v > max) fail(std::string("invalid ") + what);
    return v;
  }
  uint32_t count() {
    const uint32_t n = u32();
    if (n > kMaxRecords) fail("too many records");
    return n;
  }
  Alert alert() {
    Alert a;
    a.type = str();
    a.instance = str();
    a.severity = static_cast<Severity>(bounded(1, "severity"));
    a.message = str();
    a.value = f64();
    a.timestamp_ms = i64();
    a.started_at_ms = i64();
    const bool resolved = bounded(1, "flag") != 0;
    const int64_t resolved_at = i64();
    if (resolved) a.resolved_at_ms = resolved_at;
    a.rule = str();
    a.state =
        static_cast<AlertState>(bounded(static_cast<uint8_t>(AlertState::kResolved), "state"));
    a.absent = bounded(1, "flag") != 0;
    a.threshold = f64();
    a.id = u64();
    return a;
  }
  bool at_end() const { return at_ == in_.size(); }
  [[noreturn]] static void fail(const std::string& why) {
    throw std::invalid_argument("alert state: " + why);
  }

 private:
  std::string_view take(size_t n) {
    if (in_.size() - at_ < n) fail("truncated");
    const std::string_view out = in_.substr(at_, n);
    at_ += n;
    return out;
  }

  std::string_view in_;
  size_t at_ = 0;
};

// Identifies a rule across restarts by what the configuration says, not by its position: the
// alert name, metric and instance filter, plus the occurrence among rules that share them.
std::vector<std::string> rule_keys(const std::vector<AlertRule>& rules) {
  std::map<std::string, int> seen;
  std::vector<std::string> keys;
  for (const AlertRule& r : rules) {
    std::string key = r.alert_name() + '\x1f' + r.metric + '\x1f' + r.instance;
    key += '\x1f' + std::to_string(seen[key]++);
    keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace

std::string AlertEngine::save_state() const {
  const std::vector<std::string> keys = rule_keys(rules_);
  std::string body;
  Writer w(body);
  {
    std::lock_guard lock(mutex_);
    w.u64(next_id_);
    w.u64(next_sequence_);
    w.u32(static_cast<uint32_t>(history_.size()));
    for (const Alert& a : history_) w.alert(a);
    w.u32(static_cast<uint32_t>(events_.size()));
    for (const AlertEvent& e : events_) {
      w.u64(e.sequence);
      w.u8(static_cast<uint8_t>(e.previous));
      w.i64(e.at_ms);
      w.f64(e.value);
      w.alert(e.alert);
    }
    w.u32(static_cast<uint32_t>(targets_.size()));
    for (const Target& t : targets_) {
      w.str(keys[t.rule]);
      w.str(t.instance);
      w.u8(static_cast<uint8_t>(t.state));
      w.alert(t.alert);
      w.u8(static_cast<uint8_t>(t.last_level));
      w.u8(static_cast<uint8_t>(t.next_level + 1));
      w.i64(t.next_since);
      w.i64(t.clear_since);
      w.i64(t.missing_since);
      w.u8(t.flaps.empty() ? 0 : 1);
      for (size_t i = 0; i < detail::FlapHistory::kSize; ++i) w.u8(t.flaps.at(i));
      w.u8(t.flapping ? 1 : 0);
    }
  }
  std::string out(kMagic);
  Writer head(out);
  head.u32(kVersion);
  head.u32(static_cast<uint32_t>(body.size()));
  out += body;
  head.u64(fnv1a64(out));
  if (out.size() > kMaxStateBytes)
    Reader::fail("state larger than " + std::to_string(kMaxStateBytes) + " bytes");
  return out;
}

void AlertEngine::restore_state(std::string_view blob) {
  if (blob.size() > kMaxStateBytes)
    Reader::fail("larger than " + std::to_string(kMaxStateBytes) + " bytes");
  if (blob.substr(0, kMagic.size()) != kMagic) Reader::fail("not an alert state");
  Reader head(blob.substr(kMagic.size()));
  if (const uint32_t version = head.u32(); version != kVersion) {
    Reader::fail("version " + std::to_string(version) + ", expected " + std::to_string(kVersion));
  }
  const uint32_t length = head.u32();
  const size_t checked = kMagic.size() + 8 + size_t(length);
  if (blob.size() != checked + 8) Reader::fail("truncated or trailing bytes");
  Reader sum(blob.substr(checked));
  if (sum.u64() != fnv1a64(blob.substr(0, checked))) Reader::fail("checksum mismatch");

  // Everything is read into locals first, so a bad blob changes nothing.
  Reader in(blob.substr(kMagic.size() + 8, length));
  const uint64_t next_id = in.u64();
  const uint64_t next_sequence = in.u64();
  std::deque<Alert> history;
  for (uint32_t n = in.count(); n > 0; --n) history.push_back(in.alert());
  std::deque<AlertEvent> events;
  for (uint32_t n = in.count(); n > 0; --n) {
    AlertEvent e;
    e.sequence = in.u64();
    e.previous =
        static_cast<AlertState>(in.bounded(static_cast<uint8_t>(AlertState::kResolved), "state"));
    e.at_ms = in.i64();
    e.value = in.f64();
    e.alert = in.alert();
    events.push_back(std::move(e));
  }
  struct Saved {
    Target target;
    std::string key;
  };
  std::vector<Saved> saved;
  for (uint32_t n = in.count(); n > 0; --n) {
    Saved s;
    s.key = in.str();
    Target& t = s.target;
    t.instance = in.str();
    t.state =
        static_cast<AlertState>(in.bounded(static_cast<uint8_t>(AlertState::kFlapping), "state"));
    t.alert = in.alert();
    t.last_level = in.bounded(2, "level");
    t.next_level = int(in.bounded(3, "level")) - 1;
    t.next_since = in.i64();
    t.clear_since = in.i64();
    t.missing_since = in.i64();
    const bool filled = in.bounded(1, "flag") != 0;
    std::array<uint8_t, detail::FlapHistory::kSize> levels{};
    for (uint8_t& l : levels) l = in.bounded(2, "level");
    t.flaps.assign(levels, filled);
    t.flapping = in.bounded(1, "flag") != 0;
    saved.push_back(std::move(s));
  }
  if (!in.at_end()) Reader::fail("trailing bytes");

  const std::vector<std::string> keys = rule_keys(rules_);
  std::lock_guard lock(mutex_);
  for (Target& t : targets_) {
    for (Saved& s : saved) {
      if (s.key != keys[t.rule] || s.target.instance != t.instance) continue;
      Target& from = s.target;
      t.state = from.state;
      t.alert = std::move(from.alert);
      t.last_level = from.last_level;
      t.next_level = from.next_level;
      t.next_since = from.next_since;
      t.clear_since = from.clear_since;
      t.missing_since = from.missing_since;
      t.flaps = from.flaps;
      if (t.state != AlertState::kInactive) t.alert.state = t.state;
      t.flapping = from.flapping && rules_[t.rule].flapping.has_value();
      // A rule that no longer detects flapping takes its flapping alert as firing.
      if (t.state == AlertState::kFlapping && !t.flapping) {
        t.state = AlertState::kFiring;
        t.alert.state = AlertState::kFiring;
      }
      break;
    }
  }
  history_ = std::move(history);
  while (history_.size() > keep_) history_.pop_front();
  events_ = std::move(events);
  while (events_.size() > keep_) events_.pop_front();
  next_id_ = std::max(next_id_, next_id);
  next_sequence_ = std::max(next_sequence_, next_sequence);
}

}  // namespace resync

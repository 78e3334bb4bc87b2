// SPDX-License-Identifier: MIT
// The alert engine's saved state: "RSALERTS", version, body length, body, FNV-1a 64 of all that,
// in the state file's byte encoding (state_bytes.hpp), so a truncated or corrupt blob is refused,
// never read past its end.
#include <algorithm>
#include <map>
#include <stdexcept>

#include "alert_target.hpp"
#include "state_bytes.hpp"

namespace resync {
namespace {

using detail::Reader;
using detail::Writer;

constexpr std::string_view kMagic = "RSALERTS";
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxRecords = 100'000;
// Fewest bytes of each record, so a damaged count is refused before anything is allocated.
constexpr size_t kMinEpisodeBytes = detail::kMinAlertBytes + 4 + 1 + 1 + 8 + 8;
constexpr size_t kMinEventBytes = 8 + 1 + 8 + 8 + kMinEpisodeBytes;
constexpr size_t kMinTargetBytes =
    4 + 4 + 1 + kMinEpisodeBytes + 1 + 1 + 3 * 8 + 1 + detail::FlapHistory::kSize + 1;
constexpr auto kLastState = static_cast<uint8_t>(AlertState::kResolved);

[[noreturn]] void fail(const std::string& why) {
  throw std::invalid_argument("alert state: " + why);
}

// The state file's alert fields, then what only the engine keeps.
void write_episode(Writer& w, const Alert& a) {
  detail::write_alert(w, a);
  w.string(a.rule);
  w.u8(static_cast<uint8_t>(a.state));
  w.boolean(a.absent);
  w.f64(a.threshold);
  w.u64(a.id);
}

Alert read_episode(Reader& in) {
  Alert a = detail::read_alert(in);
  a.rule = in.string("alert rule");
  a.state = static_cast<AlertState>(in.u8(kLastState, "alert state"));
  a.absent = in.boolean();
  a.threshold = in.f64();
  a.id = in.u64();
  return a;
}

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

AlertEvent read_event(Reader& in) {
  AlertEvent e;
  e.sequence = in.u64();
  e.previous = static_cast<AlertState>(in.u8(kLastState, "state"));
  e.at_ms = in.time_ms("event time");
  e.value = in.f64();
  e.alert = read_episode(in);
  return e;
}

// The two functions below are templates only because AlertEngine::Target is private to the
// engine; they are its restore_state() in pieces.
template <class Target>
void read_target(Reader& in, Target& t) {
  t.instance = in.string("instance");
  t.state =
      static_cast<AlertState>(in.u8(static_cast<uint8_t>(AlertState::kFlapping), "target state"));
  t.alert = read_episode(in);
  t.last_level = in.u8(2, "level");
  t.next_level = int(in.u8(3, "level")) - 1;
  t.next_since = in.time_ms("level change time");
  t.clear_since = in.time_ms("clear time");
  t.missing_since = in.time_ms("missing time");
  // The engine reads next_since whenever a next level is pending.
  if (t.next_level >= 0 && t.next_since == detail::kNever) fail("pending level without a time");
  const bool filled = in.boolean();
  std::array<uint8_t, detail::FlapHistory::kSize> levels{};
  for (uint8_t& l : levels) l = in.u8(2, "level");
  t.flaps.assign(levels, filled);
  t.flapping = in.boolean();
}

template <class Target>
void adopt(Target& t, Target& from, bool detects_flapping) {
  t.state = from.state;
  t.alert = std::move(from.alert);
  t.last_level = from.last_level;
  t.next_level = from.next_level;
  t.next_since = from.next_since;
  t.clear_since = from.clear_since;
  t.missing_since = from.missing_since;
  t.flaps = from.flaps;
  if (t.state != AlertState::kInactive) t.alert.state = t.state;
  t.flapping = from.flapping && detects_flapping;
  // A rule that no longer detects flapping takes its flapping alert as firing.
  if (t.state == AlertState::kFlapping && !t.flapping) {
    t.state = AlertState::kFiring;
    t.alert.state = AlertState::kFiring;
  }
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
    for (const Alert& a : history_) write_episode(w, a);
    w.u32(static_cast<uint32_t>(events_.size()));
    for (const AlertEvent& e : events_) {
      w.u64(e.sequence);
      w.u8(static_cast<uint8_t>(e.previous));
      w.i64(e.at_ms);
      w.f64(e.value);
      write_episode(w, e.alert);
    }
    w.u32(static_cast<uint32_t>(targets_.size()));
    for (const Target& t : targets_) {
      w.string(keys[t.rule]);
      w.string(t.instance);
      w.u8(static_cast<uint8_t>(t.state));
      write_episode(w, t.alert);
      w.u8(static_cast<uint8_t>(t.last_level));
      w.u8(static_cast<uint8_t>(t.next_level + 1));
      w.i64(t.next_since);
      w.i64(t.clear_since);
      w.i64(t.missing_since);
      w.boolean(!t.flaps.empty());
      for (size_t i = 0; i < detail::FlapHistory::kSize; ++i) w.u8(t.flaps.at(i));
      w.boolean(t.flapping);
    }
  }
  std::string out(kMagic);
  Writer head(out);
  head.u32(kVersion);
  head.u32(static_cast<uint32_t>(body.size()));
  out += body;
  head.u64(detail::fnv1a64(out));
  if (out.size() > kMaxStateBytes)
    fail("state larger than " + std::to_string(kMaxStateBytes) + " bytes");
  return out;
}

void AlertEngine::restore_state(std::string_view blob) {
  if (blob.size() > kMaxStateBytes)
    fail("larger than " + std::to_string(kMaxStateBytes) + " bytes");
  if (blob.substr(0, kMagic.size()) != kMagic) fail("not an alert state");
  // Everything is read into locals first, so a bad blob changes nothing.
  uint64_t next_id = 0;
  uint64_t next_sequence = 0;
  std::deque<Alert> history;
  std::deque<AlertEvent> events;
  struct Saved {
    Target target;
    std::string key;
  };
  std::vector<Saved> saved;
  try {
    Reader head(blob.substr(kMagic.size()));
    if (const uint32_t version = head.u32(); version != kVersion)
      fail("version " + std::to_string(version) + ", expected " + std::to_string(kVersion));
    const uint32_t length = head.u32();
    const size_t checked = kMagic.size() + 8 + size_t(length);
    if (blob.size() != checked + 8) fail("truncated or trailing bytes");
    Reader sum(blob.substr(checked));
    if (sum.u64() != detail::fnv1a64(blob.substr(0, checked))) fail("checksum mismatch");

    Reader in(blob.substr(kMagic.size() + 8, length));
    next_id = in.u64();
    next_sequence = in.u64();
    for (uint32_t n = in.count(kMaxRecords, kMinEpisodeBytes, "alert"); n > 0; --n)
      history.push_back(read_episode(in));
    for (uint32_t n = in.count(kMaxRecords, kMinEventBytes, "event"); n > 0; --n)
      events.push_back(read_event(in));
    for (uint32_t n = in.count(kMaxRecords, kMinTargetBytes, "target"); n > 0; --n) {
      Saved s;
      s.key = in.string("rule key");
      read_target(in, s.target);
      saved.push_back(std::move(s));
    }
    if (in.remaining() != 0) fail("trailing bytes");
  } catch (const StateFormatError& e) {
    fail(e.what());
  }

  const std::vector<std::string> keys = rule_keys(rules_);
  std::lock_guard lock(mutex_);
  for (Target& t : targets_) {
    for (Saved& s : saved) {
      if (s.key != keys[t.rule] || s.target.instance != t.instance) continue;
      adopt(t, s.target, rules_[t.rule].flapping.has_value());
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

// SPDX-License-Identifier: MIT
// Encoding and decoding of the state file (format in resync/state_file.hpp).
#include <limits>
#include <map>
#include <utility>

#include "resync/state_file.hpp"
#include "state_bytes.hpp"

namespace resync {
namespace {

using detail::fnv1a64;
using detail::kMaxSeries;
using detail::kMinAlertBytes;
using detail::read_alert;
using detail::Reader;
using detail::write_alert;
using detail::Writer;

constexpr std::string_view kMagic = "RSYNCMON";
// Limits on counts, on top of "no more than the bytes left can hold": they keep a valid-looking
// but hostile file from building millions of tiny objects.
constexpr uint32_t kMaxCollectors = 10'000;
constexpr uint32_t kMaxAlerts = 100'000;
constexpr uint32_t kMaxSections = 64;
// Section tags (version 3); a reader skips tags it does not know, so a section can be added
// without another version.
constexpr uint32_t kSectionAlertState = 1;
// The series' presentation hints, one entry per series in order: a report read from the file
// shows the cards and charts the live dashboard showed. Older readers skip it.
constexpr uint32_t kSectionPresentation = 2;

std::string encode_presentation(const std::vector<SeriesKey>& keys) {
  bool any = false;
  for (const SeriesKey& k : keys) {
    const SeriesDescription& d = k.description;
    any = any || !d.card.empty() || !d.label.empty() || !d.chart.empty() || d.hint_flags || d.order;
  }
  std::string out;
  if (!any) return out;
  Writer w(out);
  w.u32(static_cast<uint32_t>(keys.size()));
  for (const SeriesKey& k : keys) {
    const SeriesDescription& d = k.description;
    w.string(d.card);
    w.string(d.label);
    w.string(d.chart);
    w.u32(d.hint_flags);
    w.u32(static_cast<uint32_t>(d.order));
  }
  return out;
}

// Hints for another list of series than the file's are ignored rather than misapplied.
void decode_presentation(std::string_view bytes, std::vector<SeriesKey>& keys) {
  Reader in(bytes);
  if (in.u32() != keys.size()) return;
  for (SeriesKey& k : keys) {
    SeriesDescription& d = k.description;
    d.card = in.string("card");
    d.label = in.string("label");
    d.chart = in.string("chart");
    d.hint_flags = in.u32();
    d.order = static_cast<int32_t>(in.u32());
  }
}

void write_section(Writer& w, uint32_t tag, std::string_view bytes) {
  w.u32(tag);
  w.u32(static_cast<uint32_t>(bytes.size()));
  w.raw(bytes);
}

void read_sections(Reader& in, SavedState& state) {
  const uint32_t n = in.count(kMaxSections, 8, "section");
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t tag = in.u32();
    const uint32_t size = in.u32();
    if (tag == kSectionAlertState && size > AlertEngine::kMaxStateBytes)
      throw StateFormatError("alert state over the limit of 4 MiB");
    const std::string_view bytes = in.take(size);
    if (tag == kSectionAlertState) state.alert_state = std::string(bytes);
    if (tag == kSectionPresentation) decode_presentation(bytes, state.keys);
  }
}

void read_series(Reader& in, uint32_t version, SavedState& state) {
  const uint32_t series = in.count(kMaxSeries, 8, "series");
  std::map<std::pair<std::string, std::string>, size_t> seen;
  for (uint32_t s = 0; s < series; ++s) {
    SeriesKey key;
    key.metric = in.string("metric");
    key.instance = in.string("instance");
    if (version >= 2) {
      key.plugin = in.string("plugin");
      SeriesDescription& d = key.description;
      d.name = key.metric;
      const uint32_t unit = in.u32(), kind = in.u32();
      if (unit > static_cast<uint32_t>(Unit::kBoolean))
        throw StateFormatError("unknown unit " + std::to_string(unit));
      if (kind > static_cast<uint32_t>(Kind::kCounter))
        throw StateFormatError("unknown kind " + std::to_string(kind));
      d.unit = static_cast<Unit>(unit);
      d.kind = static_cast<Kind>(kind);
      d.help = in.string("help");
      d.current_field = in.string("current_field");
      d.history_field = in.string("history_field");
      d.flags = in.u32();
    }
    if (!seen.emplace(std::make_pair(key.metric, key.instance), s).second) {
      throw StateFormatError("series " + key.metric + "/" + key.instance + " listed twice");
    }
    state.keys.push_back(std::move(key));
  }
}

void read_rows(Reader& in, SavedState& state) {
  const uint64_t series = state.keys.size();
  const uint64_t rows = in.u64();
  if (rows > in.remaining() / (8 * (series + 1))) throw StateFormatError("truncated");
  StoreSnapshot& snap = state.rows;
  snap.series_count = static_cast<size_t>(series);
  snap.rows = static_cast<size_t>(rows);
  snap.appended = rows;
  snap.timestamps_ms.resize(snap.rows);
  for (size_t r = 0; r < snap.rows; ++r) {
    snap.timestamps_ms[r] = in.i64();
    if (r > 0 && snap.timestamps_ms[r] <= snap.timestamps_ms[r - 1]) {
      throw StateFormatError("timestamps not increasing at row " + std::to_string(r));
    }
  }
  snap.values.resize(snap.series_count * snap.rows);
  for (double& v : snap.values) v = in.f64();
}

void read_health(Reader& in, SavedState& state) {
  const uint32_t n = in.count(kMaxCollectors, 60, "collector");
  for (uint32_t i = 0; i < n; ++i) {
    CollectorHealth h;
    h.name = in.string("collector name");
    h.plugin = in.string("collector plugin");
    h.up = in.boolean();
    h.last_error = in.string("last_error");
    h.last_error_at_ms = in.i64();
    h.status = in.string("status");
    h.duration_ms = in.f64();
    h.consecutive_failures = in.u32();
    h.effective_interval = std::chrono::milliseconds(in.i64());
    h.runs = in.u64();
    h.failures = in.u64();
    h.last_success_ms = in.i64();
    state.health.push_back(std::move(h));
  }
}

}  // namespace

std::string encode_state(const MonitorSnapshot& snap, std::string_view alert_state) {
  const StoreSnapshot& rows = snap.store;
  const std::vector<SeriesKey>& keys = snap.keys();
  if (alert_state.size() > AlertEngine::kMaxStateBytes)
    throw std::invalid_argument("encode_state: alert state over the limit of 4 MiB");
  if (rows.series_count != keys.size() || rows.values.size() != rows.series_count * rows.rows ||
      rows.timestamps_ms.size() != rows.rows) {
    throw std::invalid_argument("encode_state: a store of " + std::to_string(rows.series_count) +
                                " series does not match " + std::to_string(keys.size()) +
                                " series keys");
  }
  std::string out;
  out.reserve(256 + keys.size() * 160 + rows.rows * 8 * (1 + rows.series_count) +
              snap.health.size() * 128 + (snap.alerts.size() + snap.active.size()) * 128 +
              alert_state.size());
  Writer w(out);
  out += kMagic;
  w.u32(kStateFileVersion);
  w.i64(snap.interval.count());
  w.i64(snap.window.count());
  w.u64(snap.capacity);
  w.i64(snap.taken_at_ms);
  w.i64(snap.started_at_ms);
  w.u32(static_cast<uint32_t>(keys.size()));
  for (const SeriesKey& key : keys) {
    const SeriesDescription& d = key.description;
    w.string(key.metric);
    w.string(key.instance);
    w.string(key.plugin);
    w.u32(static_cast<uint32_t>(d.unit));
    w.u32(static_cast<uint32_t>(d.kind));
    w.string(d.help);
    w.string(d.current_field);
    w.string(d.history_field);
    w.u32(d.flags);
  }
  w.u32(static_cast<uint32_t>(snap.status_fields.size()));
  for (const auto& [plugin, field] : snap.status_fields) {
    w.string(plugin);
    w.string(field);
  }
  w.u64(rows.rows);
  for (int64_t t : rows.timestamps_ms) w.i64(t);
  for (double v : rows.values) w.f64(v);
  w.u32(static_cast<uint32_t>(snap.health.size()));
  for (const CollectorHealth& h : snap.health) {
    w.string(h.name);
    w.string(h.plugin);
    w.boolean(h.up);
    w.string(h.last_error);
    w.i64(h.last_error_at_ms);
    w.string(h.status);
    w.f64(h.duration_ms);
    w.u32(h.consecutive_failures);
    w.i64(h.effective_interval.count());
    w.u64(h.runs);
    w.u64(h.failures);
    w.i64(h.last_success_ms);
  }
  w.u64(snap.runs_started);
  w.u64(snap.ticks_skipped);
  w.u32(static_cast<uint32_t>(snap.alerts.size()));
  for (const Alert& a : snap.alerts) write_alert(w, a);
  w.u32(static_cast<uint32_t>(snap.active.size()));
  for (const Alert& a : snap.active) write_alert(w, a);
  const std::string presentation = encode_presentation(keys);
  w.u32((alert_state.empty() ? 0 : 1) + (presentation.empty() ? 0 : 1));
  if (!alert_state.empty()) write_section(w, kSectionAlertState, alert_state);
  if (!presentation.empty()) write_section(w, kSectionPresentation, presentation);
  w.u64(fnv1a64(out));
  return out;
}

std::string encode_state(std::chrono::milliseconds interval, const SeriesLayout& layout,
                         const StoreSnapshot& rows) {
  if (rows.series_count != layout.size()) {
    throw std::invalid_argument("encode_state: a snapshot of " + std::to_string(rows.series_count) +
                                " series does not match a layout of " +
                                std::to_string(layout.size()));
  }
  MonitorSnapshot snap;
  snap.interval = interval;
  snap.window = interval * static_cast<int64_t>(rows.rows);
  snap.capacity = rows.rows;
  snap.series = std::make_shared<const std::vector<SeriesKey>>(layout.keys());
  snap.store = rows;
  return encode_state(snap);
}

SavedState decode_state(std::string_view bytes) {
  Reader in(bytes);
  if (bytes.size() < kMagic.size()) throw StateFormatError("truncated");
  if (in.take(kMagic.size()) != kMagic) throw StateFormatError("bad magic");
  if (bytes.size() > kMaxStateFileBytes) throw StateFormatError("larger than the limit of 1 GiB");
  const uint32_t version = in.u32();
  if (version < 1 || version > kStateFileVersion) {
    throw StateFormatError("unsupported version " + std::to_string(version) +
                           " (this build reads versions 1 to " + std::to_string(kStateFileVersion) +
                           ")");
  }
  SavedState state;
  state.version = version;
  const int64_t interval_ms = in.i64();
  if (interval_ms <= 0) throw StateFormatError("interval " + std::to_string(interval_ms) + " ms");
  state.interval = std::chrono::milliseconds(interval_ms);
  if (version >= 2) {
    const int64_t window_ms = in.i64();
    const uint64_t capacity = in.u64();
    if (window_ms < 0 || capacity > std::numeric_limits<uint32_t>::max()) {
      throw StateFormatError("window " + std::to_string(window_ms) + " ms of " +
                             std::to_string(capacity) + " samples");
    }
    state.window = std::chrono::milliseconds(window_ms);
    state.capacity = static_cast<size_t>(capacity);
    state.saved_at_ms = in.i64();
    state.started_at_ms = in.i64();
  }
  read_series(in, version, state);
  if (version >= 2) {
    const uint32_t n = in.count(kMaxSeries, 8, "status field");
    for (uint32_t i = 0; i < n; ++i) {
      std::string plugin = in.string("plugin");
      state.status_fields[std::move(plugin)] = in.string("status field");
    }
  }
  read_rows(in, state);
  if (version >= 2) {
    read_health(in, state);
    state.runs_started = in.u64();
    state.ticks_skipped = in.u64();
    for (std::vector<Alert>* list : {&state.alerts, &state.active}) {
      const uint32_t n = in.count(kMaxAlerts, kMinAlertBytes, "alert");
      for (uint32_t i = 0; i < n; ++i) list->push_back(read_alert(in));
    }
  }
  if (version >= 3) read_sections(in, state);
  const size_t body = bytes.size() - in.remaining();
  const uint64_t checksum = in.u64();
  if (in.remaining() != 0)
    throw StateFormatError(std::to_string(in.remaining()) + " unexpected bytes at the end");
  if (checksum != fnv1a64(bytes.substr(0, body))) throw StateFormatError("checksum mismatch");
  if (version == 1) {
    state.capacity = state.rows.rows;
    for (SeriesKey& k : state.keys) k.description.name = k.metric;
  }
  return state;
}

MonitorSnapshot to_snapshot(SavedState state, std::string source) {
  MonitorSnapshot s;
  s.source = std::move(source);
  s.taken_at_ms = state.saved_at_ms;
  s.started_at_ms = state.started_at_ms;
  s.interval = state.interval;
  // A version 1 file does not say its window: what it holds is the best guess.
  s.window = state.window.count() > 0 ? state.window
                                      : state.interval * static_cast<int64_t>(state.rows.rows);
  s.capacity = state.capacity;
  s.series = std::make_shared<const std::vector<SeriesKey>>(std::move(state.keys));
  s.status_fields = std::move(state.status_fields);
  s.rows_held = state.rows.rows;
  s.store = std::move(state.rows);
  s.alerts = std::move(state.alerts);
  s.active = std::move(state.active);
  s.health = std::move(state.health);
  s.runs_started = state.runs_started;
  s.ticks_skipped = state.ticks_skipped;
  return s;
}

}  // namespace resync

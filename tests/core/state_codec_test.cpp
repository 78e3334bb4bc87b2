// SPDX-License-Identifier: MIT
// The state file format, version 3 and the version 1 and 2 files still on disk, against hostile
// bytes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstring>

#include "resync/state_file.hpp"
#include "scripted_collector.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

std::string reason(std::string_view bytes) {
  try {
    decode_state(bytes);
  } catch (const StateFormatError& e) {
    return e.what();
  }
  return "accepted";
}

// A monitor of every built plugin, error_rate 20 % on every sample so the default rules fire.
std::unique_ptr<Monitor> alerting_monitor() {
  test::ScriptedInstances all = test::all_plugins([](const std::string& metric, int call) {
    return metric == "error_rate" ? 20.0 : metric == "collector_up" ? 1.0 : double(call);
  });
  Config config =
      parse_config("interval: 1s\nwindow: 1m\n", ConfigFormat::kYaml, "codec_test.yaml");
  return std::make_unique<Monitor>(std::move(config), std::move(all.instances),
                                   std::move(all.collectors));
}

MonitorSnapshot filled_snapshot() {
  static std::unique_ptr<Monitor> monitor = [] {
    auto m = alerting_monitor();
    for (int k = 0; k < 40; ++k) m->sample_now(1'700'000'000'000 + k * 1000);
    return m;
  }();
  return monitor->snapshot();
}

TEST(StateCodecTest, KeepsDescriptionsHealthAndAlerts) {
  const MonitorSnapshot snap = filled_snapshot();
  ASSERT_FALSE(snap.active.empty()) << "the error rate rule must have fired";
  const SavedState back = decode_state(encode_state(snap));
  EXPECT_EQ(back.version, 3u);
  EXPECT_EQ(back.interval, snap.interval);
  EXPECT_EQ(back.window, snap.window);
  EXPECT_EQ(back.capacity, snap.capacity);
  EXPECT_EQ(back.saved_at_ms, snap.taken_at_ms);
  EXPECT_EQ(back.started_at_ms, snap.started_at_ms);
  ASSERT_EQ(back.keys.size(), snap.keys().size());
  for (size_t i = 0; i < back.keys.size(); ++i) {
    const SeriesKey &a = back.keys[i], &b = snap.keys()[i];
    EXPECT_EQ(a.metric + "/" + a.instance + "/" + a.plugin,
              b.metric + "/" + b.instance + "/" + b.plugin);
    EXPECT_EQ(a.description.name, b.description.name);
    EXPECT_EQ(a.description.unit, b.description.unit) << a.metric;
    EXPECT_EQ(a.description.kind, b.description.kind) << a.metric;
    EXPECT_EQ(a.description.help, b.description.help);
    EXPECT_EQ(a.description.current_field, b.description.current_field);
    EXPECT_EQ(a.description.history_field, b.description.history_field);
    EXPECT_EQ(a.description.flags, b.description.flags);
  }
  EXPECT_EQ(back.status_fields, snap.status_fields);
  EXPECT_EQ(back.rows.timestamps_ms, snap.store.timestamps_ms);
  ASSERT_EQ(back.rows.values.size(), snap.store.values.size());
  EXPECT_EQ(
      std::memcmp(back.rows.values.data(), snap.store.values.data(), back.rows.values.size() * 8),
      0);
  ASSERT_EQ(back.health.size(), snap.health.size());
  EXPECT_EQ(back.health[0].name, snap.health[0].name);
  EXPECT_EQ(back.health[0].runs, snap.health[0].runs);
  EXPECT_EQ(back.health[0].duration_ms, snap.health[0].duration_ms);
  ASSERT_EQ(back.active.size(), snap.active.size());
  EXPECT_EQ(back.active[0].message, snap.active[0].message);
  EXPECT_EQ(back.active[0].severity, snap.active[0].severity);
  EXPECT_EQ(back.active[0].started_at_ms, snap.active[0].started_at_ms);
  EXPECT_FALSE(back.active[0].resolved_at_ms);
  ASSERT_EQ(back.alerts.size(), snap.alerts.size());
  EXPECT_EQ(back.runs_started, snap.runs_started);

  const MonitorSnapshot again = to_snapshot(decode_state(encode_state(snap)), "/var/lib/state");
  EXPECT_EQ(again.source, "/var/lib/state");
  EXPECT_EQ(again.rows_held, snap.store.rows);
  EXPECT_EQ(encode_state(again), encode_state(snap))
      << "a snapshot read back encodes to the same bytes";
}

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

TEST(StateCodecTest, KeepsTheAlertEngineStateAsASection) {
  const MonitorSnapshot snap = filled_snapshot();
  const std::string blob(1000, 'a');
  EXPECT_EQ(decode_state(encode_state(snap, blob)).alert_state, blob);
  EXPECT_EQ(decode_state(encode_state(snap)).alert_state, "");
  EXPECT_THROW(encode_state(snap, std::string(AlertEngine::kMaxStateBytes + 1, 'a')),
               std::invalid_argument);
}

// A version 2 file is version 3 without the section count: what a server saved before alert
// state was kept.
// The series of `snap` without presentation hints, so that it writes no section.
MonitorSnapshot without_hints(MonitorSnapshot snap) {
  auto keys = *snap.series;
  for (SeriesKey& k : keys) {
    const SeriesDescription& d = k.description;
    k.description = SeriesDescription(d.name, d.unit, d.kind, d.help, d.current_field,
                                      d.history_field, d.flags);
  }
  snap.series = std::make_shared<const std::vector<SeriesKey>>(std::move(keys));
  return snap;
}

TEST(StateCodecTest, KeepsThePresentationHints) {
  const MonitorSnapshot snap = filled_snapshot();
  const SavedState back = decode_state(encode_state(snap));
  ASSERT_EQ(back.keys.size(), snap.keys().size());
  bool hinted = false;
  for (size_t i = 0; i < back.keys.size(); ++i) {
    const SeriesDescription &a = snap.keys()[i].description, &b = back.keys[i].description;
    EXPECT_EQ(b.card, a.card) << a.name;
    EXPECT_EQ(b.label, a.label) << a.name;
    EXPECT_EQ(b.chart, a.chart) << a.name;
    EXPECT_EQ(b.hint_flags, a.hint_flags) << a.name;
    EXPECT_EQ(b.order, a.order) << a.name;
    hinted = hinted || !a.label.empty();
  }
  EXPECT_TRUE(hinted) << "the bundled plugins' hints should be in the fixture";
}

TEST(StateCodecTest, ReadsAVersion2File) {
  const MonitorSnapshot snap = without_hints(filled_snapshot());
  std::string bytes = encode_state(snap);
  bytes.resize(bytes.size() - 12);  // the checksum and the section count (0)
  const uint32_t two = 2;
  std::memcpy(&bytes[8], &two, 4);
  const uint64_t sum = fnv1a64(bytes);
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(sum >> (8 * i)));
  const SavedState back = decode_state(bytes);
  EXPECT_EQ(back.version, 2u);
  EXPECT_EQ(back.rows.timestamps_ms, snap.store.timestamps_ms);
  EXPECT_EQ(back.active.size(), snap.active.size());
  EXPECT_EQ(back.alert_state, "");
}

// Written by `resync-mon serve` before version 2 (tests/data/state/system-v1.state).
TEST(StateCodecTest, ReadsAVersion1FileWrittenByAnOlderServe) {
  const auto saved = read_state_file(test::test_data_dir() + "/state/system-v1.state");
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->version, 1u);
  EXPECT_EQ(saved->interval, std::chrono::milliseconds{200});
  ASSERT_EQ(saved->keys.size(), 9u);
  EXPECT_EQ(saved->keys[3].metric, "host_cpu_percent");
  EXPECT_EQ(saved->keys[3].instance, "system");
  EXPECT_EQ(saved->keys[3].description.name, "host_cpu_percent");
  EXPECT_EQ(saved->keys[3].description.help, "") << "version 1 holds no descriptions";
  EXPECT_EQ(saved->rows.rows, 6u);
  EXPECT_EQ(saved->rows.timestamps_ms.front(), 1796178763400);
  EXPECT_TRUE(saved->health.empty());
  EXPECT_TRUE(saved->alerts.empty());
  const MonitorSnapshot snap = to_snapshot(*saved, "v1");
  EXPECT_EQ(snap.capacity, 6u);
  EXPECT_EQ(snap.window, std::chrono::milliseconds{1200});
}

TEST(StateCodecTest, RejectsCountsAndStringsPastTheLimits) {
  const std::string good = encode_state(filled_snapshot());
  // The series count sits right after magic, version and the 40 bytes of grid and times.
  std::string many = good;
  const uint32_t huge = 0xfffffff0u;
  std::memcpy(&many[52], &huge, 4);
  EXPECT_EQ(reason(many), "series count 4294967280 over the limit");
  std::string over = good;
  const uint32_t just_over = 100'001;
  std::memcpy(&over[52], &just_over, 4);
  EXPECT_EQ(reason(over), "series count 100001 over the limit");
  // The first metric name's length.
  std::string long_name = good;
  const uint32_t length = 70'000;
  std::memcpy(&long_name[56], &length, 4);
  EXPECT_EQ(reason(long_name), "metric longer than the limit");
}

TEST(StateCodecTest, RejectsAnUnknownUnitOrKind) {
  MonitorSnapshot snap;
  snap.interval = std::chrono::seconds{1};
  snap.series = std::make_shared<const std::vector<SeriesKey>>(
      std::vector<SeriesKey>{{"m", "i", "p", {"m"}}});
  snap.store.series_count = 1;
  const std::string good = encode_state(snap);
  ASSERT_EQ(reason(good), "accepted");
  // magic 8, version 4, grid and times 40, count 4, then "m", "i", "p" as (u32 length, byte).
  std::string bad = good;
  bad[71] = 42;
  EXPECT_EQ(reason(bad), "unknown unit 42");
  bad = good;
  bad[75] = 7;
  EXPECT_EQ(reason(bad), "unknown kind 7");
}

TEST(StateCodecTest, EveryTruncationIsRefusedNeverTakenForLessHistory) {
  const std::string good = encode_state(filled_snapshot());
  for (size_t n = 0; n < good.size(); n += (n < 600 ? 1 : 97)) {
    const std::string why = reason(good.substr(0, n));
    EXPECT_NE(why, "accepted") << n;
  }
  for (size_t i = 8; i < good.size(); i += 131) {
    std::string flipped = good;
    flipped[i] ^= 0x20;
    EXPECT_NE(reason(flipped), "accepted") << "byte " << i;
  }
}

TEST(StateCodecTest, AFileOverTheSizeLimitIsRefusedUnreadAndUntouched) {
  test::TempDir dir;
  const std::string path = dir.file("state");
  test::write_file(path, "RSYNCMON");
  // Sparse: no disk space used, but the size says more than a state file may be.
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(kMaxStateFileBytes + 1)), 0);
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  try {
    read_state_file(path);
    FAIL() << "a file over the limit was read";
  } catch (const StateFormatError& e) {
    EXPECT_STREQ(e.what(), "larger than the limit of 1 GiB");
  }
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(after.st_size, before.st_size);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
}

}  // namespace
}  // namespace resync

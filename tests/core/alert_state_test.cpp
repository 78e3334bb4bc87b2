// SPDX-License-Identifier: MIT
// save_state()/restore_state(): a restart neither forgets an active alert nor announces it again.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

#include "resync/alert_engine.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;

SeriesLayout two_instances() {
  SeriesLayout layout;
  layout.add({"x", "a", "p"});
  layout.add({"x", "b", "p"});
  return layout;
}

std::vector<AlertRule> rules() {
  AlertRule high;
  high.metric = "x";
  high.name = "x_high";
  high.conditions = {{Severity::kWarning, Comparison::kAbove, 5},
                     {Severity::kCritical, Comparison::kAbove, 50}};
  high.for_duration = 10s;
  high.keep_firing_for = 30s;
  AlertRule flappy;
  flappy.metric = "x";
  flappy.name = "x_flappy";
  flappy.instance = "b";
  flappy.conditions = {{Severity::kWarning, Comparison::kBelow, 0}};
  flappy.flapping = FlapDetection{13, 5};
  return {high, flappy};
}

std::vector<AlertEvent> push(AlertEngine& e, int64_t t_s, double a, double b) {
  const double row[] = {a, b};
  return e.evaluate(t_s * 1000, row, nullptr);
}

TEST(AlertStateTest, RestartWithAnActiveAlertAnnouncesNothingTwice) {
  const SeriesLayout layout = two_instances();
  AlertEngine before(rules(), layout);
  push(before, 0, 9, 1);
  push(before, 10, 9, -1);  // a fires (warning); b: first change
  push(before, 11, 9, 1);
  push(before, 12, 9, -1);  // b: third change, flapping
  ASSERT_EQ(before.active().size(), 2u);
  const std::string blob = before.save_state();

  AlertEngine after(rules(), layout);
  std::vector<AlertEvent> announced;
  after.set_listener([&](const AlertEvent& e) { announced.push_back(e); });
  after.restore_state(blob);
  EXPECT_TRUE(announced.empty());
  const auto active = after.active();
  ASSERT_EQ(active.size(), 2u);
  EXPECT_EQ(active[0].rule, "x_flappy");
  EXPECT_EQ(active[0].state, AlertState::kFlapping);
  EXPECT_EQ(active[1].rule, "x_high");
  EXPECT_EQ(active[1].state, AlertState::kFiring);
  EXPECT_EQ(active[1].timestamp_ms, 10000);
  EXPECT_EQ(after.recent().size(), before.recent().size());
  EXPECT_EQ(after.events().size(), before.events().size());

  // Still true after the restart: nothing new. Then the condition clears: one resolution, after
  // keep_firing_for as before the restart.
  EXPECT_TRUE(push(after, 20, 9, -1).empty());
  EXPECT_TRUE(push(after, 30, 1, -1).empty());
  const auto resolved = push(after, 60, 1, -1);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].alert.rule, "x_high");
  EXPECT_EQ(resolved[0].state(), AlertState::kResolved);
  EXPECT_EQ(resolved[0].alert.id, active[1].id);
  // Sequence numbers and episode ids go on where they stopped.
  EXPECT_EQ(resolved[0].sequence, before.events().front().sequence + 1);
  EXPECT_EQ(announced.size(), 1u);
}

TEST(AlertStateTest, PendingKeepsItsClockAcrossARestart) {
  const SeriesLayout layout = two_instances();
  AlertEngine before(rules(), layout);
  ASSERT_EQ(push(before, 0, 9, 1).size(), 1u);  // pending
  AlertEngine after(rules(), layout);
  after.restore_state(before.save_state());
  ASSERT_EQ(after.current().size(), 1u);
  EXPECT_EQ(after.current()[0].state, AlertState::kPending);
  const auto fired = push(after, 10, 9, 1);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::kFiring);
  EXPECT_EQ(fired[0].alert.started_at_ms, 0);
}

TEST(AlertStateTest, StateOfRulesAndInstancesNoLongerConfiguredIsDropped) {
  const SeriesLayout layout = two_instances();
  AlertEngine before(rules(), layout);
  push(before, 0, 9, 9);
  push(before, 10, 9, 9);
  ASSERT_EQ(before.active().size(), 2u);  // x_high on a and on b

  SeriesLayout only_a;
  only_a.add({"x", "a", "p"});
  AlertEngine renamed({rules()[1]}, only_a);  // x_high gone, x_flappy has no instance b here
  renamed.restore_state(before.save_state());
  EXPECT_TRUE(renamed.active().empty());

  AlertEngine fewer({rules()[0]}, only_a);
  fewer.restore_state(before.save_state());
  ASSERT_EQ(fewer.active().size(), 1u);
  EXPECT_EQ(fewer.active()[0].instance, "a");
}

TEST(AlertStateTest, RefusesDamagedBlobsAndChangesNothing) {
  const SeriesLayout layout = two_instances();
  AlertEngine source(rules(), layout);
  push(source, 0, 9, 1);
  push(source, 10, 9, 1);
  const std::string good = source.save_state();

  AlertEngine target(rules(), layout);
  auto refuses = [&](const std::string& blob, const std::string& why) {
    try {
      target.restore_state(blob);
      ADD_FAILURE() << "accepted: " << why;
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), testing::HasSubstr(why));
    }
    EXPECT_TRUE(target.current().empty());
  };
  refuses("", "not an alert state");
  refuses("RSALERTS", "truncated");
  refuses(good.substr(0, good.size() - 1), "truncated");
  refuses(good + "x", "trailing");
  std::string flipped = good;
  flipped[40] = static_cast<char>(flipped[40] ^ 0x10);
  refuses(flipped, "checksum mismatch");
  std::string version = good;
  version[8] = 2;
  refuses(version, "version 2, expected 1");
  refuses(std::string(AlertEngine::kMaxStateBytes + 1, 'x'), "larger than");

  target.restore_state(good);
  EXPECT_EQ(target.active().size(), 1u);
}

TEST(AlertStateTest, EveryTruncationIsRefused) {
  const SeriesLayout layout = two_instances();
  AlertEngine source(rules(), layout);
  push(source, 0, 9, 1);
  push(source, 10, 60, -1);
  const std::string good = source.save_state();
  AlertEngine target(rules(), layout);
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_THROW(target.restore_state(good.substr(0, n)), std::invalid_argument) << n;
  }
}

// FNV-1a 64 written out here, not taken from the code under test, so a wrong constant there shows.
uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

uint64_t trailing_u64(std::string_view blob) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i)
    v |= uint64_t(static_cast<uint8_t>(blob[blob.size() - 8 + i])) << (8 * i);
  return v;
}

void reseal(std::string& blob) {
  blob.resize(blob.size() - 8);
  const uint64_t h = fnv1a64(blob);
  for (int i = 0; i < 8; ++i) blob.push_back(static_cast<char>((h >> (8 * i)) & 0xff));
}

TEST(AlertStateTest, ChecksumIsFnv1a64OfAllBeforeIt) {
  AlertEngine source(rules(), two_instances());
  push(source, 0, 9, 1);
  push(source, 10, 9, 1);
  const std::string blob = source.save_state();
  ASSERT_GT(blob.size(), 8u);
  EXPECT_EQ(trailing_u64(blob), fnv1a64(std::string_view(blob).substr(0, blob.size() - 8)));
}

TEST(AlertStateTest, RefusesAHostileCountWithAGoodChecksum) {
  AlertEngine source(rules(), two_instances());
  push(source, 0, 9, 1);
  push(source, 10, 9, 1);
  const std::string good = source.save_state();
  AlertEngine target(rules(), two_instances());
  // The history count follows magic, version, length, next id and next sequence.
  for (const auto& [count, why] :
       {std::pair{0xffffffffu, "over the limit"}, std::pair{99'999u, "truncated"}}) {
    std::string blob = good;
    for (int i = 0; i < 4; ++i) blob[32 + size_t(i)] = static_cast<char>((count >> (8 * i)) & 0xff);
    reseal(blob);
    try {
      target.restore_state(blob);
      ADD_FAILURE() << "accepted a count of " << count;
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), testing::StartsWith("alert state: "));
      EXPECT_THAT(e.what(), testing::HasSubstr(why));
    }
  }
  EXPECT_TRUE(target.current().empty());
}

// Found by alert_state_fuzz: a start time near INT64_MIN, under a good checksum, made the next
// evaluate() overflow `now - started_at` (UBSan). Every saved time is bounded now.
TEST(AlertStateTest, RefusesATimeOutOfRangeWithAGoodChecksum) {
  AlertEngine source(rules(), two_instances());
  push(source, 1000, 9, 1);
  push(source, 1010, 9, 1);  // x_high on "a": pending since 1,000 s, firing at 1,010 s
  const std::string good = source.save_state();
  std::string started(8, '\0');  // 1,000,000 ms, the alert's start, little-endian
  for (int i = 0; i < 8; ++i)
    started[size_t(i)] = static_cast<char>((uint64_t{1'000'000} >> (8 * i)) & 0xff);
  ASSERT_NE(good.find(started), std::string::npos);
  std::string blob = good;
  const int64_t hostile = std::numeric_limits<int64_t>::min() + 189'000'000'000;
  for (size_t at = blob.find(started); at != std::string::npos; at = blob.find(started, at + 8)) {
    for (int i = 0; i < 8; ++i)
      blob[at + size_t(i)] = static_cast<char>((static_cast<uint64_t>(hostile) >> (8 * i)) & 0xff);
  }
  reseal(blob);
  AlertEngine target(rules(), two_instances());
  try {
    target.restore_state(blob);
    ADD_FAILURE() << "accepted a time of " << hostile;
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("out of range"));
  }
  EXPECT_TRUE(target.current().empty());
  push(target, 1020, 9, 1);  // and evaluates on, from a clean state
}

}  // namespace
}  // namespace resync

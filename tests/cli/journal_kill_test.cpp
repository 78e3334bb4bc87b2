// SPDX-License-Identifier: MIT
// Durability as an unlucky operator meets it: the real `resync-mon serve` killed with SIGKILL at
// random moments (while it restores and compacts at start, while it samples, or while its periodic
// save rewrites the file and restarts the journal), restarted each time, never losing a sample it
// had served nor forgetting the alert it had firing. And the lock that keeps a second server off
// the file.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "run_cli.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::TempDir;

// Saved every second, so that kills also land in the periodic save; and one alert that fires at
// the first sample and never resolves (the host has been up for more than 0 s).
std::string write_config(const TempDir& dir, const std::string& state) {
  const std::string path = dir.file("resync.yaml");
  test::write_file(path, "interval: 100ms\nwindow: 10m\nstate_save_interval: 1s\nplugin_dir: \"" +
                             test::plugin_build_dir() + "\"\nstate_file: \"" + state +
                             "\"\ncollectors:\n  - plugin: system\nalerts:\n  - {metric: "
                             "system_uptime, name: always_up, above: {warning: 0}}\n");
  return path;
}

std::optional<std::string> wait_for_log(const std::string& log, const std::regex& line,
                                        test::Process& process) {
  const auto deadline = Clock::now() + test::kPatience;
  std::smatch m;
  while (Clock::now() < deadline) {
    const std::string text = fs::exists(log) ? test::read_file(log) : "";
    if (std::regex_search(text, m, line)) return m[1].str();
    if (!process.running()) break;
    std::this_thread::sleep_for(5ms);
  }
  return std::nullopt;
}

Poco::JSON::Object::Ptr get_json(const std::string& url) {
  const auto r = test::http_get(url);
  if (r.status != 200) return nullptr;
  return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
}

// The episode of the `always_up` alert as /api/monitoring/alerts shows it, when it is firing:
// its start, when it fired, and the sequence numbers of the events that announced it firing (one
// per episode, so a second one would be a new episode).
struct Episode {
  std::string started_at;
  std::string fired_at;
  std::vector<uint64_t> firing_events;
  bool operator==(const Episode& o) const {
    return started_at == o.started_at && fired_at == o.fired_at && firing_events == o.firing_events;
  }
};

std::ostream& operator<<(std::ostream& out, const Episode& e) {
  out << "started " << e.started_at << ", fired " << e.fired_at << ", firing events";
  for (uint64_t s : e.firing_events) out << ' ' << s;
  return out;
}

std::optional<Episode> firing_episode(const std::string& url) {
  const auto doc = get_json(url + "/api/monitoring/alerts");
  if (!doc) return std::nullopt;
  std::optional<Episode> found;
  const auto current = doc->getArray("current");
  for (size_t i = 0; current && i < current->size(); ++i) {
    const auto a = current->getObject(static_cast<unsigned>(i));
    if (a->getValue<std::string>("rule") != "always_up") continue;
    if (a->getValue<std::string>("state") != "firing") return std::nullopt;
    found =
        Episode{a->getValue<std::string>("started_at"), a->getValue<std::string>("timestamp"), {}};
  }
  const auto events = doc->getArray("events");
  for (size_t i = 0; found && events && i < events->size(); ++i) {
    const auto e = events->getObject(static_cast<unsigned>(i));
    if (e->getValue<std::string>("rule") == "always_up" &&
        e->getValue<std::string>("state") == "firing")
      found->firing_events.push_back(e->getValue<uint64_t>("sequence"));
  }
  return found;
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Run 0 waits for the alert to fire and for the first save after that (within a second of the
// transition; a save replaces the file, so its inode changes), so it is on disk before any kill.
std::optional<Episode> saved_first_episode(const std::string& url, const std::string& state) {
  const auto deadline = Clock::now() + test::kPatience;
  std::optional<Episode> episode;
  while (!(episode = firing_episode(url)) && Clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  const ino_t before = inode_of(state);
  while (inode_of(state) == before && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  if (inode_of(state) == before) return std::nullopt;
  return episode;
}

// What a reader finds on disk (`history --state`: the state file and its journal): the rows and
// the newest row's epoch milliseconds.
std::pair<size_t, int64_t> rows_on_disk(const std::string& state) {
  const test::RunResult r = test::run_cli({"history", "--state", state, "--format", "csv"});
  EXPECT_EQ(r.code, 0) << r.err;
  size_t rows = 0;
  int64_t newest = 0;
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);  // header: time,epoch,...
  while (std::getline(in, line)) {
    ++rows;
    const size_t a = line.find(',') + 1, b = line.find(',', a);
    newest = static_cast<int64_t>(std::stod(line.substr(a, b - a)) * 1000.0 + 0.5);
  }
  return {rows, newest};
}

// Fifty kills: one in four while the server starts (restoring, compacting, starting its journal),
// the rest after it has served samples for 50-2,500 ms, across its periodic saves (every second).
// After each kill, every sample it served is on disk, and the next start restores them all, and the
// alert firing since run 0 with it: the same episode, not announced again.
TEST(JournalKillTest, KillAtRandomMomentsLosesNoServedSample) {
  TempDir dir;
  const std::string state = dir.file("state");
  const std::string config = write_config(dir, state);
  std::mt19937 random(std::random_device{}());
  auto between = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(random); };
  const std::regex url_line(R"(dashboard at (http://127\.0\.0\.1:\d+)/monitoring)");
  const std::regex restored_line(R"(restored (\d+) samples from)");

  uint64_t served = 0;        // rows the last server showed in /health: all must survive
  int64_t served_second = 0;  // /current's timestamp (seconds) of the newest row it served
  int early_kills = 0, late_kills = 0, kills_past_a_save = 0;
  std::optional<Episode> alert;  // as run 0 saved it
  for (int run = 0; run < 50; ++run) {
    const std::string log = dir.file("serve-" + std::to_string(run) + ".log");
    test::Process serve(
        {test::resync_binary(), "--config", config, "serve", "--bind", "127.0.0.1:0"}, log);
    if (run > 0 && between(0, 3) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(between(0, 120)));
      ++early_kills;
    } else {
      const auto url = wait_for_log(log, url_line, serve);
      ASSERT_TRUE(url) << test::read_file(log);
      const auto restored = wait_for_log(log, restored_line, serve);
      if (served > 0) {
        ASSERT_TRUE(restored) << test::read_file(log);
        EXPECT_GE(std::stoull(*restored), served) << "run " << run << ":\n" << test::read_file(log);
      }
      if (run == 0) {
        alert = saved_first_episode(*url, state);
        ASSERT_TRUE(alert) << "always_up not firing and saved:\n" << test::read_file(log);
        ASSERT_EQ(alert->firing_events.size(), 1u) << *alert;
      } else {
        const auto now = firing_episode(*url);
        ASSERT_TRUE(now) << "run " << run << ": always_up not firing after the restart:\n"
                         << test::read_file(log);
        ASSERT_EQ(*now, *alert) << "run " << run << ": not the episode run 0 saved";
      }
      const int serve_ms = between(50, 2500);
      // The first periodic save comes a second after the first sample, which is at most one
      // interval after the start; past 1.5 s one has been taken, or was being taken at the kill.
      if (serve_ms > 1500) ++kills_past_a_save;
      const auto until = Clock::now() + std::chrono::milliseconds(serve_ms);
      while (Clock::now() < until) {
        const auto health = get_json(*url + "/api/monitoring/health");
        const auto current = get_json(*url + "/api/monitoring/current");
        ASSERT_TRUE(health && current);
        served = std::max(served, health->getValue<uint64_t>("samples_collected"));
        served_second = std::max(served_second, current->getValue<int64_t>("timestamp"));
        std::this_thread::sleep_for(std::chrono::milliseconds(between(0, 30)));
      }
      std::this_thread::sleep_for(std::chrono::microseconds(between(0, 100'000)));
      ++late_kills;
    }
    serve.signal(SIGKILL);
    ASSERT_TRUE(serve.wait_exit(5s));

    const auto [rows, newest_ms] = rows_on_disk(state);
    ASSERT_GE(rows, served) << "run " << run << " lost a served sample:\n" << test::read_file(log);
    ASSERT_GE(newest_ms / 1000, served_second) << "run " << run;
  }
  EXPECT_GE(served, 100u);
  EXPECT_GE(kills_past_a_save, 1);
  RecordProperty("early_kills", early_kills);
  RecordProperty("late_kills", late_kills);
  RecordProperty("kills_past_a_save", kills_past_a_save);
  RecordProperty("rows_served", static_cast<int>(served));
}

// A second server on the same state file exits at once with code 9 and one line, before binding
// its port; the first keeps serving, and `history --state` still reads the file meanwhile.
TEST(JournalKillTest, SecondServerOnTheSameStateFileExitsWithCode9) {
  TempDir dir;
  const std::string state = dir.file("state");
  const std::string config = write_config(dir, state);
  test::ServeProcess first(config, dir.file("first.log"));
  ASSERT_FALSE(first.url().empty());
  const std::string port = first.url().substr(first.url().rfind(':') + 1);
  // The same port too: the lock is what it must trip on, not the port in use.
  const test::RunResult second =
      test::run_cli({"--config", config, "serve", "--bind", "127.0.0.1:" + port}, {}, 10s);
  EXPECT_EQ(second.code, 9);
  EXPECT_EQ(second.err, "resync-mon: " + state + " is in use by another resync-mon serve (pid " +
                            std::to_string(first.process().pid()) +
                            "); give each server its own state_file\n");
  EXPECT_TRUE(first.process().running());
  // Rows the journal holds once served (SIGKILL loses at most the sample in flight).
  ASSERT_TRUE(first.wait_for_samples(3));
  const test::RunResult history = test::run_cli({"history", "--state", state, "--format", "csv"});
  EXPECT_EQ(history.code, 0) << history.err;
  EXPECT_GE(std::count(history.out.begin(), history.out.end(), '\n'), 3);
}

}  // namespace
}  // namespace resync

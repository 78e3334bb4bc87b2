// SPDX-License-Identifier: MIT
// The sources of the shell subcommands: state files (missing, foreign, corrupt, replaced while
// read), a real `resync-mon serve`, and bad servers (down, 401, not JSON, huge, slow, too new).
#include "source.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <thread>

#include "fake_http_server.hpp"
#include "resync/state_file.hpp"
#include "resync/views/json.hpp"
#include "run_cli.hpp"
#include "test_support.hpp"

namespace resync::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::FakeHttpServer;
using testing::HasSubstr;
using testing::StartsWith;

// Reads `path` as a state source expecting a SourceError; returns "<exit code> <message>".
std::string state_failure(const std::string& path) {
  try {
    read_state_source(path);
  } catch (const SourceError& e) {
    return std::to_string(e.exit_code()) + " " + e.what();
  }
  return "read";
}

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";

std::string server_version() { return views::version(); }

std::string remote_failure(const SourceOptions& options) {
  try {
    read_remote_source(options, Config{});
  } catch (const Error& e) {
    return std::to_string(e.exit_code()) + " " + e.what();
  }
  return "read";
}

std::vector<std::string> folder(const std::string& path) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(path)) names.push_back(e.path().filename().string());
  return names;
}

TEST(StateSourceTest, MissingForeignAndCorruptFilesAreOneLineAndLeftAlone) {
  test::TempDir dir;
  EXPECT_EQ(state_failure(dir.file("state")),
            "6 cannot read state file " + dir.file("state") + ": No such file or directory");
  test::write_file(dir.file("foreign"), "PK\x03\x04 a zip file, not a state file");
  EXPECT_EQ(state_failure(dir.file("foreign")),
            "8 state file " + dir.file("foreign") + ": not a resync-mon state file");
  const std::string good = test::read_file(test::test_data_dir() + "/state/system-v1.state");
  test::write_file(dir.file("truncated"), good.substr(0, good.size() - 9));
  EXPECT_EQ(state_failure(dir.file("truncated")),
            "8 state file " + dir.file("truncated") +
                ": cut short: the file ends before its data does (copied while being written?)");
  fs::create_directory(dir.file("folder"));
  EXPECT_THAT(state_failure(dir.file("folder")),
              StartsWith("6 cannot read " + dir.file("folder") + ": "));
  EXPECT_THAT(folder(dir.path()), testing::UnorderedElementsAre("foreign", "truncated", "folder"))
      << "nothing renamed, nothing created";
  EXPECT_EQ(test::read_file(dir.file("truncated")), good.substr(0, good.size() - 9));
}

TEST(StateSourceTest, Version1FileBecomesASnapshot) {
  const MonitorSnapshot snap = read_state_source(test::test_data_dir() + "/state/system-v1.state");
  EXPECT_EQ(snap.source, test::test_data_dir() + "/state/system-v1.state");
  EXPECT_EQ(snap.store.rows, 6u);
  EXPECT_EQ(snap.keys().size(), 9u);
  EXPECT_EQ(snap.interval, 200ms);
}

// A server replaces its state file while we read it: every read sees one whole file.
TEST(StateSourceTest, ReadWhileAServerReplacesTheFile) {
  test::TempDir dir;
  const std::string path = dir.file("state");
  const SeriesLayout layout = [] {
    SeriesLayout l;
    l.add({"m", "i", "p"});
    return l;
  }();
  std::vector<std::string> versions;
  for (size_t rows : {300u, 9000u}) {
    RingBuffer store(1, rows);
    for (size_t r = 0; r < rows; ++r)
      store.append(int64_t(r + 1) * 1000, std::vector<double>{double(rows)});
    versions.push_back(encode_state(std::chrono::seconds{1}, layout, store.snapshot()));
  }
  write_file_atomically(path, versions[0]);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (size_t i = 1; !stop; ++i) write_file_atomically(path, versions[i % 2]);
  });
  size_t small = 0, large = 0;
  for (int i = 0; i < 300; ++i) {
    const MonitorSnapshot snap = read_state_source(path);
    ASSERT_TRUE(snap.store.rows == 300 || snap.store.rows == 9000) << snap.store.rows;
    EXPECT_EQ(snap.store.values.back(), double(snap.store.rows));
    (snap.store.rows == 300 ? small : large)++;
  }
  stop = true;
  writer.join();
  EXPECT_GT(small + large, 0u);
}

TEST(RemoteSourceTest, StoppedServerIsUnreachable) {
  SourceOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(test::free_port());
  EXPECT_EQ(remote_failure(o), "6 " + o.url + "/api/monitoring/window: connection refused");
  o.url = "ftp://example";
  EXPECT_THAT(remote_failure(o), StartsWith("2 --url ftp://example: expected http://HOST:PORT"));
}

TEST(RemoteSourceTest, UnauthorizedIsExitSeven) {
  FakeHttpServer server([](const std::string&) {
    return FakeHttpServer::Answer{"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n",
                                  "{}"};
  });
  SourceOptions o;
  o.url = server.url();
  EXPECT_EQ(remote_failure(o),
            "7 " + o.url +
                "/api/monitoring/window: 401 Unauthorized (the server needs --token "
                "or RESYNC_MON_TOKEN, or --user with RESYNC_MON_PASSWORD)");
  o.token = "wrong";
  EXPECT_EQ(
      remote_failure(o),
      "7 " + o.url +
          "/api/monitoring/window: 401 Unauthorized (the server refused the credentials given)");
}

TEST(RemoteSourceTest, AnswersThatAreNotResyncMonAreRefused) {
  std::string current = "<html>nginx default page</html>";
  FakeHttpServer server([&](const std::string& path) {
    if (path == "/api/monitoring/current")
      return FakeHttpServer::Answer{"HTTP/1.1 200 OK\r\n", current};
    return FakeHttpServer::Answer{"HTTP/1.1 404 Not Found\r\n", "nope"};
  });
  SourceOptions o;
  o.url = server.url() + "/";
  EXPECT_THAT(remote_failure(o),
              StartsWith("6 " + server.url() + "/api/monitoring/current: not a JSON object ("));
  current = "[1, 2, 3]";
  EXPECT_THAT(remote_failure(o),
              StartsWith("6 " + server.url() + "/api/monitoring/current: not a JSON object"));
  current = R"({"status": "ok"})";
  EXPECT_EQ(remote_failure(o),
            "6 " + server.url() +
                "/api/monitoring/current: no version or timestamp; not a resync-mon server?");
  current = R"({"version": "9.1.0", "timestamp": 1})";
  EXPECT_EQ(remote_failure(o), "6 " + server.url() + " runs resync-mon 9.1.0; this resync-mon " +
                                   server_version() + " reads servers of major version 0 only");
  current = R"({"version": ")" + server_version() + R"(", "timestamp": 1})";
  EXPECT_EQ(remote_failure(o),
            "6 " + server.url() +
                "/api/monitoring/health: answered 404 Not Found; is it a resync-mon server?");
  current = "{" + std::string(200, '[');
  EXPECT_THAT(remote_failure(o),
              StartsWith("6 " + server.url() + "/api/monitoring/current: not a JSON object"));
}

TEST(RemoteSourceTest, HugeAnswerIsCutAtTheLimit) {
  const std::string huge = R"({"version": "0.1.0", "pad": ")" + std::string(17u << 20, 'x') + "\"}";
  FakeHttpServer server([&](const std::string&) { return FakeHttpServer::Answer{kOk, huge}; });
  SourceOptions o;
  o.url = server.url();
  // /window may be larger (a whole window), but must still be one.
  EXPECT_EQ(remote_failure(o),
            "6 " + o.url +
                "/api/monitoring/window: not a resync-mon window (not a resync-mon "
                "state file)");
}

TEST(RemoteSourceTest, SlowOrDrippingServerEndsAtTheTimeout) {
  for (const auto& [delay, drip] : {std::pair{3000ms, 0ms}, std::pair{0ms, 100ms}}) {
    FakeHttpServer server([delay = delay, drip = drip](const std::string&) {
      return FakeHttpServer::Answer{kOk, R"({"version": "0.1.0", "timestamp": 1})", delay, drip};
    });
    SourceOptions o;
    o.url = server.url();
    o.timeout = 700ms;
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(remote_failure(o), "6 " + o.url + "/api/monitoring/window: timed out after 700 ms");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
  }
}

// The real server: its layout, newest row and history come back as a snapshot.
TEST(RemoteSourceTest, RealServeBecomesASnapshot) {
  test::TempDir dir;
  test::write_file(
      dir.file("resync.yaml"),
      "interval: 1s\nwindow: 1m\nplugin_dir: \"" + test::plugin_build_dir() +
          "\"\nserver: {auth: {token: \"s3cret\"}}\ncollectors:\n  - plugin: system\n");
  test::ServeProcess serve(dir.file("resync.yaml"), dir.file("log"));
  ASSERT_FALSE(serve.url().empty());
  SourceOptions o;
  o.url = serve.url();
  EXPECT_THAT(remote_failure(o), StartsWith("7 "));
  o.token = "s3cret";
  MonitorSnapshot snap;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  do {
    std::this_thread::sleep_for(300ms);
    Config local;
    local.plugin_dir =
        test::plugin_build_dir();  // the series' descriptions come from the plugin files
    snap = read_remote_source(o, local);
  } while (snap.store.rows < 3 && std::chrono::steady_clock::now() < deadline);
  ASSERT_GE(snap.store.rows, 3u);
  EXPECT_EQ(snap.source, serve.url());
  EXPECT_EQ(snap.interval, 1s);
  EXPECT_EQ(snap.window, 1min);
  EXPECT_EQ(snap.capacity, 60u);
  ASSERT_EQ(snap.health.size(), 1u);
  EXPECT_EQ(snap.health[0].name, "system");
  EXPECT_EQ(snap.health[0].plugin, "system");
  const std::vector<SeriesKey>& keys = snap.keys();
  std::vector<std::string> names;
  for (const SeriesKey& k : keys) names.push_back(k.metric);
  EXPECT_THAT(names, testing::Contains("host_cpu_percent"));
  EXPECT_THAT(names, testing::Contains("collector_up"));
  const StoreSnapshot& s = snap.store;
  for (size_t c = 0; c < keys.size(); ++c) {
    EXPECT_FALSE(keys[c].description.help.empty())
        << keys[c].metric << " described from the local plugin";
    EXPECT_FALSE(std::isnan(s.at(c, s.rows - 1)))
        << keys[c].metric << " in the newest row, from /metrics";
    // /api/monitoring/window: every series keeps its older rows, as in the state file.
    if (keys[c].metric == "host_cpu_percent" || keys[c].metric == "process_rss_bytes") {
      EXPECT_FALSE(std::isnan(s.at(c, 1))) << keys[c].metric << " in an older row";
    }
    if (keys[c].metric == "process_rss_bytes") {
      EXPECT_GT(s.at(c, s.rows - 1), 1e6);
    }
  }
  for (size_t r = 1; r < s.rows; ++r) EXPECT_EQ(s.timestamps_ms[r] - s.timestamps_ms[r - 1], 1000);
}

}  // namespace
}  // namespace resync::cli

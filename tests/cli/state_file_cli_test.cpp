// SPDX-License-Identifier: MIT
// The state file as a user meets it: the real `resync-mon serve` and `current` processes.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <thread>

#include "resync/state_file.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::TempDir;
using testing::HasSubstr;

// `resync-mon serve` as a user runs it: `<dir>/resync.yaml` with the system plugin and `extra`.
std::string write_serve_config(const TempDir& dir, const std::string& extra) {
  const std::string path = dir.file("resync.yaml");
  test::write_file(path, "interval: 200ms\nwindow: 1m\nplugin_dir: \"" + test::plugin_build_dir() +
                             "\"\ncollectors:\n  - plugin: system\n" + extra);
  return path;
}

// Starts `resync-mon serve` on a port of its choosing and returns the port it prints once
// started (after the state file is restored), or 0.
uint16_t wait_for_url(test::Process& process, const std::string& log) {
  static const std::regex kLine(R"(dashboard at http://127\.0\.0\.1:(\d+)/monitoring)");
  std::smatch m;
  std::string text;
  const bool printed = test::eventually(
      [&] {
        text = fs::exists(log) ? test::read_file(log) : "";
        return std::regex_search(text, m, kLine) || !process.running();
      },
      test::kPatience, 20ms);
  if (printed && std::regex_search(text, m, kLine)) return static_cast<uint16_t>(std::stoi(m[1]));
  ADD_FAILURE() << "resync-mon serve did not print its URL; log:\n" << text;
  return 0;
}

uint64_t samples_collected(uint16_t port) {
  const auto r =
      test::http_get("http://127.0.0.1:" + std::to_string(port) + "/api/monitoring/health");
  EXPECT_EQ(r.status, 200);
  Poco::JSON::Parser parser;
  return parser.parse(r.body).extract<Poco::JSON::Object::Ptr>()->getValue<uint64_t>(
      "samples_collected");
}

TEST(StateFileTest, ServeRestartContinuesFromTheSavedSamples) {
  TempDir dir;
  const std::string state = dir.file("state");
  const std::string config = write_serve_config(dir, "state_file: \"" + state + "\"\n");
  const std::vector<std::string> argv = {
      test::resync_binary(), "--config", config, "serve", "--bind", "127.0.0.1:0"};

  uint64_t before = 0;
  {
    test::Process serve(argv, dir.file("first.log"));
    const uint16_t port = wait_for_url(serve, dir.file("first.log"));
    ASSERT_NE(port, 0);
    test::eventually([&] { return (before = samples_collected(port)) >= 5; }, test::kPatience,
                     50ms);
    ASSERT_GE(before, 5u);
    serve.signal(SIGTERM);
    const auto code = serve.wait_exit(5s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0) << test::read_file(dir.file("first.log"));
  }
  const auto saved = read_state_file(state);
  ASSERT_TRUE(saved);
  EXPECT_GE(saved->rows.rows, before);
  EXPECT_FALSE(fs::exists(state + ".tmp"));

  test::Process serve(argv, dir.file("second.log"));
  const uint16_t port = wait_for_url(serve, dir.file("second.log"));
  ASSERT_NE(port, 0);
  EXPECT_GE(samples_collected(port), saved->rows.rows);
  EXPECT_THAT(test::read_file(dir.file("second.log")),
              HasSubstr("restored " + std::to_string(saved->rows.rows) + " samples from " + state));
  test::eventually([&] { return samples_collected(port) > saved->rows.rows; }, test::kPatience,
                   50ms);
  EXPECT_GT(samples_collected(port), saved->rows.rows)
      << "sampling goes on after the restored rows";
  serve.signal(SIGTERM);
  ASSERT_EQ(serve.wait_exit(5s), std::optional<int>(0));
  const auto resaved = read_state_file(state);
  ASSERT_TRUE(resaved);
  ASSERT_GT(resaved->rows.rows, saved->rows.rows);
  EXPECT_TRUE(std::equal(saved->rows.timestamps_ms.begin(), saved->rows.timestamps_ms.end(),
                         resaved->rows.timestamps_ms.begin()))
      << "the first run's samples survive the restart";
}

TEST(StateFileTest, ServeWithoutAStateFolderExitsWithCode3) {
  TempDir dir;
  const std::string state = dir.file("missing") + "/state";
  const std::string config = write_serve_config(dir, "state_file: " + state + "\n");
  test::Process serve({test::resync_binary(), "--config", config, "serve", "--bind", "127.0.0.1:0"},
                      dir.file("log"));
  const auto code = serve.wait_exit(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 3);
  EXPECT_EQ(test::read_file(dir.file("log")), "resync-mon: " + config +
                                                  ": state_file: cannot write " + state +
                                                  ": No such file or directory\n");
}

TEST(StateFileTest, CurrentCommandNeitherReadsNorWritesTheStateFile) {
  TempDir dir;
  const std::string state = dir.file("state");
  test::write_file(state, "not a state file");
  const std::string config = write_serve_config(dir, "state_file: " + state + "\n");
  test::Process current({test::resync_binary(), "--config", config, "current", "--json"},
                        dir.file("log"));
  const auto code = current.wait_exit(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << test::read_file(dir.file("log"));
  EXPECT_EQ(test::read_file(state), "not a state file");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir.path()))
    names.push_back(entry.path().filename().string());
  EXPECT_THAT(names, testing::UnorderedElementsAre("log", "resync.yaml", "state"));
}

}  // namespace
}  // namespace resync

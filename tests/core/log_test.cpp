// SPDX-License-Identifier: MIT
#include "resync/log.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "resync/config.hpp"
#include "resync/error.hpp"
#include "resync/monitor.hpp"
#include "scripted_collector.hpp"

namespace resync {
namespace {

using test::ScriptedCollector;

TEST(LogTest, EscapesControlsAndInvalidUtf8) {
  EXPECT_EQ(escape_log_text("plain text, caf\xc3\xa9, C:\\path"),
            "plain text, caf\xc3\xa9, C:\\path");
  EXPECT_EQ(escape_log_text("one\ntwo\r\tthree"), "one\\ntwo\\r\\tthree");
  EXPECT_EQ(escape_log_text("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(escape_log_text(std::string_view("nul\0\x7f", 5)), "nul\\x00\\x7f");
  EXPECT_EQ(escape_log_text("csi \xc2\x9b"
                            "31m"),
            "csi \\u009b31m");  // C1 control in UTF-8
  EXPECT_EQ(escape_log_text("bad \xff\xfe \xe2\x82"), "bad \\xff\\xfe \\xe2\\x82");
  EXPECT_EQ(escape_log_text("nbsp \xc2\xa0 ok"), "nbsp \xc2\xa0 ok");
}

// What a hostile target sends in an error ends up escaped on one line of the log.
TEST(LogTest, CollectorErrorsAreLoggedOnOneEscapedLine) {
  std::vector<std::string> lines;
  const LogSink previous =
      set_log_sink([&lines](LogLevel, std::string_view line) { lines.emplace_back(line); });
  Config c = parse_config("interval: 1s\n", ConfigFormat::kYaml, "t.yaml");
  std::vector<std::unique_ptr<Collector>> collectors;
  collectors.push_back(std::make_unique<ScriptedCollector>([](SampleSink&, int) {
    throw CollectError("HTTP 500: \x1b]0;owned\x07\n2026-01-01T00:00:00Z info forged line \xff");
  }));
  Monitor monitor(std::move(c), {{"evil", "x", {}}}, std::move(collectors));
  monitor.sample_now(1000);
  set_log_sink(previous);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], testing::EndsWith(
                            "collector evil failed (1 in a row, next try in 2s): HTTP 500: "
                            "\\x1b]0;owned\\x07\\n2026-01-01T00:00:00Z info forged line \\xff"));
}

}  // namespace
}  // namespace resync

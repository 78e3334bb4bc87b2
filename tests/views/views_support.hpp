// SPDX-License-Identifier: MIT
// What the view tests share: a config from YAML, a snapshot with a chosen clock, a JSON object,
// promtool's verdict on an exposition.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "resync/config.hpp"
#include "resync/monitor.hpp"
#include "test_support.hpp"

namespace resync::test {

inline Config config(const std::string& yaml) {
  return parse_config(yaml, ConfigFormat::kYaml, "views_test.yaml");
}

// The views render plain snapshots; `now_ms` stands in for the wall clock of the copy.
inline MonitorSnapshot snap(const Monitor& monitor, int64_t now_ms = 0, size_t rows = SIZE_MAX) {
  MonitorSnapshot s = monitor.snapshot(rows);
  if (now_ms) s.taken_at_ms = now_ms;
  return s;
}

inline Poco::JSON::Object::Ptr parse_object(const std::string& json) {
  return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

// Runs the real `promtool check metrics` on an exposition: exit 0 and not one word of complaint.
inline void expect_promtool_accepts(const std::string& exposition) {
  const auto promtool = test::find_program("promtool");
  ASSERT_TRUE(promtool)
      << "promtool not found: install the Debian package `prometheus` (scripts/deps --test)";
  test::TempDir dir;
  test::write_file(dir.file("metrics.txt"), exposition);
  test::Process check(
      {"/bin/sh", "-c", "exec " + *promtool + " check metrics < " + dir.file("metrics.txt")},
      dir.file("promtool.log"));
  const auto code = check.wait_exit(std::chrono::seconds{20});
  ASSERT_TRUE(code.has_value()) << "promtool did not finish";
  EXPECT_EQ(*code, 0) << test::read_file(dir.file("promtool.log"));
  EXPECT_EQ(test::read_file(dir.file("promtool.log")), "");
}

}  // namespace resync::test

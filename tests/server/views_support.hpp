// SPDX-License-Identifier: MIT
// What the view tests share: a config from YAML, a snapshot with a chosen clock, a JSON object.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstdint>
#include <string>

#include "resync/config.hpp"
#include "resync/monitor.hpp"

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

}  // namespace resync::test

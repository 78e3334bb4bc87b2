// SPDX-License-Identifier: MIT
// What the configuration tests share: the error a text is refused with, and JSON compared
// whatever its key order. Header-only.
#pragma once

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "resync/config.hpp"
#include "resync/error.hpp"

namespace resync::test {

// The message of the ConfigError (exit code 3) that parsing `text` throws, or "" if it parses;
// the file is called test.yaml or test.toml.
inline std::string config_error(const std::string& text,
                                ConfigFormat format = ConfigFormat::kYaml) {
  try {
    parse_config(text, format, format == ConfigFormat::kYaml ? "test.yaml" : "test.toml");
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.exit_code(), kExitConfig);
    return e.what();
  }
  return "";
}

// JSON objects compare equal whatever their key order: parse, then print with sorted keys.
inline std::string canonical_json(const std::string& json) {
  Poco::JSON::Parser parser;
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(parser.parse(json), out);
  return out.str();
}

}  // namespace resync::test

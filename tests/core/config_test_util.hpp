// SPDX-License-Identifier: MIT
// What the configuration tests share: the error a text is refused with. Header-only.
#pragma once

#include <gtest/gtest.h>

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

}  // namespace resync::test

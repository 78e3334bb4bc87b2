// SPDX-License-Identifier: MIT
// The configuration loader on TOML: any bytes give a Config or a ConfigError, nothing else, in
// bounded time and memory (ConfigLimits).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "resync/config.hpp"
#include "resync/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    resync::parse_config(std::string_view(reinterpret_cast<const char*>(data), size),
                         resync::ConfigFormat::kToml, "fuzz.toml");
  } catch (const resync::ConfigError&) {
  }
  return 0;
}

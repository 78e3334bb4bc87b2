// SPDX-License-Identifier: MIT
// The tws collector's reading of a plan/job/count answer.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "tws_jobs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    resync::plugin::tws::parse_job_count(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const std::runtime_error&) {
  }
  return 0;
}

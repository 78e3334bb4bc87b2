// SPDX-License-Identifier: MIT
// What an isolated collector's child may send (isolation: process): any bytes give frames, each
// result decoded or refused with a ProtocolError, never more memory than the frame limit.
#include <cstddef>
#include <cstdint>

#include "collector_frames.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace resync::detail;
  FrameReader reader(kMaxChildFrameBytes);
  reader.feed(reinterpret_cast<const char*>(data), size);
  try {
    while (auto frame = reader.next()) {
      if (frame->type != FrameType::kResult) continue;
      const CollectResult result = decode_result(frame->payload);
      volatile double sink = 0;
      for (const auto& sample : result.samples) sink = sink + sample.second;
    }
  } catch (const ProtocolError&) {
  }
  return 0;
}

// SPDX-License-Identifier: MIT
// The alert state a state file carries (its alert section): any bytes restore or throw
// std::invalid_argument, and a restored engine evaluates on. Rules and layout are the seed's
// (alert_state_seed.hpp), so a fuzzer mutating real bytes reaches the matching of saved targets.
// Each input is also tried with its length and checksum made right: otherwise nearly every
// mutation stops at the checksum and the body's reader is never reached.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "alert_state_seed.hpp"
#include "state_bytes.hpp"

namespace {

void restore_and_evaluate(std::string_view blob) {
  static const resync::SeriesLayout layout = resync::fuzz::seed_layout();
  resync::AlertEngine engine(resync::fuzz::seed_rules(), layout);
  try {
    engine.restore_state(blob);
  } catch (const std::invalid_argument&) {
    return;
  }
  const double row[] = {97.0, 1.0};
  engine.evaluate(1'700'000'020'000, row, nullptr);
}

// "RSALERTS", u32 version, u32 body length, body, u64 FNV-1a of all before it.
std::string with_length_and_checksum(std::string_view in) {
  constexpr size_t kHead = 16, kSum = 8;
  std::string out(in);
  const auto body = static_cast<uint32_t>(out.size() - kHead - kSum);
  for (int i = 0; i < 4; ++i) out[12 + size_t(i)] = static_cast<char>((body >> (8 * i)) & 0xff);
  out.resize(out.size() - kSum);
  resync::detail::Writer(out).u64(resync::detail::fnv1a64(out));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  restore_and_evaluate(in);
  if (size >= 24) restore_and_evaluate(with_length_and_checksum(in));
  return 0;
}

// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string_view>

namespace resync {

/// One step of decoding UTF-8 at s[i] (i < s.size()).
struct Utf8Step {
  size_t length;  ///< bytes of the sequence, or of its maximal invalid subpart (at least 1)
  bool valid;     ///< false: replace those `length` bytes with one U+FFFD (Unicode 3.9, "maximal
                  ///< subparts")
};

/// Validates the sequence at s[i] as RFC 3629 UTF-8: no overlong forms, no surrogates, nothing
/// past U+10FFFF. Header-only and dependency-free, for the host's writers and the plugins alike.
inline Utf8Step utf8_step(std::string_view s, size_t i) {
  const auto byte = [&s](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return {1, true};
  size_t need = 0;
  unsigned char low = 0x80, high = 0xBF;  // range of the second byte; later ones are 80..BF
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) low = 0xA0;   // overlong below U+0800
    if (c == 0xED) high = 0x9F;  // UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) low = 0x90;   // overlong below U+10000
    if (c == 0xF4) high = 0x8F;  // past U+10FFFF
  } else {
    return {1, false};  // continuation byte, C0/C1 overlong lead, F5..FF
  }
  for (size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size()) return {k, false};
    const unsigned char b = byte(i + k);
    if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xBF)) return {k, false};
  }
  return {need + 1, true};
}

}  // namespace resync

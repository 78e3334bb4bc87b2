// SPDX-License-Identifier: MIT
#include "ws_frame.hpp"

namespace resync::server::detail {

std::string encode_ws_frame(uint8_t opcode, std::string_view payload, const uint8_t* mask) {
  const uint64_t n = payload.size();
  const char mask_bit = mask ? static_cast<char>(0x80) : 0;
  std::string out;
  out.reserve(payload.size() + kWsMaxHeaderBytes);
  out.push_back(static_cast<char>(0x80 | opcode));
  if (n < 126) {
    out.push_back(static_cast<char>(mask_bit | static_cast<char>(n)));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  if (mask) out.append(reinterpret_cast<const char*>(mask), 4);
  const size_t start = out.size();
  out.append(payload);
  if (mask) apply_ws_mask(out.data() + start, payload.size(), mask);
  return out;
}

std::string ws_close_payload(uint16_t code, std::string_view reason) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p.append(reason.substr(0, 123));
  return p;
}

std::optional<WsFrameHeader> decode_ws_frame_header(std::string_view input) {
  if (input.size() < 2) return std::nullopt;
  const auto* h = reinterpret_cast<const unsigned char*>(input.data());
  WsFrameHeader f;
  f.fin = (h[0] & 0x80) != 0;
  f.opcode = h[0] & 0x0F;
  f.masked = (h[1] & 0x80) != 0;
  f.payload_size = h[1] & 0x7F;
  size_t size = 2;
  if (f.payload_size == 126) {
    if (input.size() < 4) return std::nullopt;
    f.payload_size = (uint64_t{h[2]} << 8) | h[3];
    size = 4;
  } else if (f.payload_size == 127) {
    if (input.size() < 10) return std::nullopt;
    f.payload_size = 0;
    for (int i = 2; i < 10; ++i) f.payload_size = (f.payload_size << 8) | h[i];
    size = 10;
  }
  if (f.masked) {
    if (input.size() < size + 4) return std::nullopt;
    for (size_t i = 0; i < 4; ++i) f.mask[i] = h[size + i];
    size += 4;
  }
  f.header_size = size;
  return f;
}

void apply_ws_mask(char* data, size_t size, const uint8_t mask[4], size_t offset) {
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>(data[i] ^ mask[(offset + i) % 4]);
}

}  // namespace resync::server::detail

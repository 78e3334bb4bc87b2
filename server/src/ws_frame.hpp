// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

/// The WebSocket frame codec of RFC 6455 section 5, on plain bytes: no sockets, no Poco. Shared
/// by the server's connection loops and the benchmark's client.
namespace resync::server::detail {

inline constexpr uint8_t kWsText = 0x1, kWsClose = 0x8, kWsPing = 0x9, kWsPong = 0xA;
inline constexpr uint16_t kCloseNormal = 1000, kCloseGoingAway = 1001, kCloseProtocolError = 1002,
                          kCloseTooBig = 1009;
/// The largest frame header: 2 bytes, 8 of extended length, 4 of mask key.
inline constexpr size_t kWsMaxHeaderBytes = 14;

/// A single frame (FIN set) carrying `payload`. Server-to-client frames are unmasked; a client
/// passes its 4-byte `mask` key, and the payload is masked with it.
std::string encode_ws_frame(uint8_t opcode, std::string_view payload,
                            const uint8_t* mask = nullptr);

/// The payload of a CLOSE frame: the status code, then `reason` cut to the 123 bytes a control
/// frame leaves for it.
std::string ws_close_payload(uint16_t code, std::string_view reason);

/// What a frame header says. The payload starts `header_size` bytes into the frame.
struct WsFrameHeader {
  uint8_t opcode = 0;
  bool fin = false;
  bool masked = false;
  uint8_t mask[4] = {0, 0, 0, 0};
  size_t header_size = 0;
  uint64_t payload_size = 0;
};

/// Parses the header of the frame `input` starts with; nullopt until enough bytes have arrived
/// (at most kWsMaxHeaderBytes are needed). Says nothing about whether the payload is complete.
std::optional<WsFrameHeader> decode_ws_frame_header(std::string_view input);

/// XORs `data` with the 4-byte `mask`, starting at `offset` bytes into the payload; masking and
/// unmasking are the same operation.
void apply_ws_mask(char* data, size_t size, const uint8_t mask[4], size_t offset = 0);

}  // namespace resync::server::detail

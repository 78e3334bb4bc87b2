// SPDX-License-Identifier: MIT
#include "ws_frame.hpp"

#include <gtest/gtest.h>

#include <string>

namespace resync {
namespace {

using namespace server::detail;

TEST(WsFrameTest, EncodesAndDecodesEveryLengthForm) {
  for (size_t size :
       {size_t{0}, size_t{125}, size_t{126}, size_t{65535}, size_t{65536}, size_t{100000}}) {
    const std::string payload(size, 'x');
    const std::string frame = encode_ws_frame(kWsText, payload);
    const auto header = decode_ws_frame_header(frame);
    ASSERT_TRUE(header) << size;
    EXPECT_TRUE(header->fin);
    EXPECT_FALSE(header->masked);
    EXPECT_EQ(header->opcode, kWsText);
    EXPECT_EQ(header->payload_size, size);
    EXPECT_EQ(header->header_size, size < 126 ? 2u : size <= 65535 ? 4u : 10u);
    EXPECT_EQ(frame.size(), header->header_size + size);
    EXPECT_EQ(frame.substr(header->header_size), payload);
  }
}

TEST(WsFrameTest, MasksClientFrames) {
  const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  // RFC 6455 5.7: a masked "Hello".
  const std::string frame = encode_ws_frame(kWsText, "Hello", mask);
  EXPECT_EQ(frame, std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
  const auto header = decode_ws_frame_header(frame);
  ASSERT_TRUE(header);
  EXPECT_TRUE(header->masked);
  EXPECT_EQ(header->header_size, 6u);
  std::string payload = frame.substr(header->header_size);
  apply_ws_mask(payload.data(), payload.size(), header->mask);
  EXPECT_EQ(payload, "Hello");
  // Unmasking in pieces gives the same bytes when the offset is carried along.
  std::string pieces = frame.substr(header->header_size);
  apply_ws_mask(pieces.data(), 3, header->mask);
  apply_ws_mask(pieces.data() + 3, 2, header->mask, 3);
  EXPECT_EQ(pieces, "Hello");
}

TEST(WsFrameTest, WaitsForAWholeHeader) {
  const uint8_t mask[4] = {1, 2, 3, 4};
  const std::string frame =
      encode_ws_frame(kWsPing, std::string(300, 'p'), mask);  // 2 + 2 + 4 header bytes
  for (size_t n = 0; n < 8; ++n) EXPECT_FALSE(decode_ws_frame_header(frame.substr(0, n))) << n;
  const auto header = decode_ws_frame_header(frame.substr(0, 8));
  ASSERT_TRUE(header);
  EXPECT_EQ(header->opcode, kWsPing);
  EXPECT_EQ(header->payload_size, 300u);
  EXPECT_FALSE(
      decode_ws_frame_header(std::string("\x81\x7f\x00\x00", 4)));  // 64-bit length cut short
}

TEST(WsFrameTest, ClosePayloadCarriesTheCodeAndACappedReason) {
  EXPECT_EQ(ws_close_payload(kCloseGoingAway, "bye"), std::string("\x03\xe9"
                                                                  "bye",
                                                                  5));
  EXPECT_EQ(ws_close_payload(kCloseTooBig, std::string(200, 'r')).size(), 125u);
}

}  // namespace
}  // namespace resync

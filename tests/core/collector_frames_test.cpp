// SPDX-License-Identifier: MIT
#include "collector_frames.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <limits>

namespace resync::detail {
namespace {

using testing::HasSubstr;

std::string le32(uint32_t v) {
  std::string out;
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}

std::string protocol_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ProtocolError& e) {
    return e.what();
  }
  return "";
}

TEST(CollectorFramesTest, ResultRoundTripsValuesBitForBit) {
  CollectResult in;
  in.ok = true;
  in.samples = {{"a", 1.5},
                {"b", std::numeric_limits<double>::infinity()},
                {"c", std::numeric_limits<double>::quiet_NaN()},
                {"d", -0.0}};
  in.status = "ok";
  const CollectResult out = decode_result(encode_result(in));
  ASSERT_EQ(out.samples.size(), 4u);
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.samples[0], in.samples[0]);
  EXPECT_TRUE(std::isinf(out.samples[1].second));
  EXPECT_TRUE(std::isnan(out.samples[2].second));
  EXPECT_TRUE(std::signbit(out.samples[3].second));
  EXPECT_EQ(out.status, "ok");
}

TEST(CollectorFramesTest, ReaderSplitsAStreamFedByteByByte) {
  const std::string bytes =
      encode_frame(FrameType::kReady, "") + encode_frame(FrameType::kResult, "xyz");
  FrameReader reader(64);
  std::vector<Frame> frames;
  for (char c : bytes) {
    reader.feed(&c, 1);
    while (auto f = reader.next()) frames.push_back(*f);
  }
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].type, FrameType::kReady);
  EXPECT_EQ(frames[1].payload, "xyz");
  EXPECT_TRUE(reader.empty());
}

TEST(CollectorFramesTest, ReaderRefusesOversizedZeroAndUnknownFramesFromTheHeader) {
  auto first = [](const std::string& bytes) {
    return protocol_error([&] {
      FrameReader reader(1024);
      reader.feed(bytes.data(), bytes.size());
      reader.next();
    });
  };
  // Refused on the length alone: nothing of the announced 2 GB is ever buffered.
  EXPECT_THAT(first(le32(0x7fffffff)), HasSubstr("exceeds the limit of 1024"));
  EXPECT_THAT(first(le32(1025) + "\x05"), HasSubstr("exceeds"));
  EXPECT_THAT(first(le32(0)), HasSubstr("length 0"));
  EXPECT_THAT(first(le32(1) + "\x09"), HasSubstr("unknown frame type 9"));
  EXPECT_THAT(first(le32(1) + std::string(1, '\0')), HasSubstr("unknown frame type 0"));
  EXPECT_THAT(first("not a frame at all"), HasSubstr("exceeds")) << "'not ' read as a length";
}

TEST(CollectorFramesTest, ResultDecoderRefusesEveryLieAboutLengths) {
  CollectResult good;
  good.ok = true;
  good.samples = {{"metric", 1}};
  const std::string valid = encode_result(good);
  auto error = [](const std::string& payload) {
    return protocol_error([&] { decode_result(payload); });
  };
  EXPECT_EQ(error(valid), "");
  EXPECT_THAT(error(valid + "x"), HasSubstr("trailing bytes"));
  EXPECT_THAT(error(valid.substr(0, valid.size() - 1)), HasSubstr("ends inside"));
  EXPECT_THAT(error(""), HasSubstr("ends inside ok flag"));
  EXPECT_THAT(error(std::string(1, '\2')), HasSubstr("ok flag is 2"));
  // A count of four billion samples in a frame of nine bytes.
  EXPECT_THAT(error(std::string(1, '\1') + le32(0xffffffff)), HasSubstr("exceed"));
  EXPECT_THAT(error(std::string(1, '\1') + le32(1000) + std::string(20, 'x')),
              HasSubstr("larger than the frame"));
  EXPECT_THAT(error(std::string(1, '\1') + le32(1) + le32(0xfffffff0) + std::string(16, 'x')),
              HasSubstr("metric name of"));
  EXPECT_THAT(error(std::string(1, '\1') + le32(1) + le32(0) + std::string(16, 'x')),
              HasSubstr("empty metric name"));
  EXPECT_THAT(error(std::string(1, '\0') + le32(0) + le32(0) + le32(5000) + std::string(5000, 'e')),
              HasSubstr("error of 5000 bytes exceeds 4096"));
}

TEST(CollectorFramesTest, ChannelTimesOutOnASilentPeerAndSeesItClose) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Channel a(sv[0], 1024), b(sv[1], 1024);
  Frame frame;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(a.receive(frame, started + std::chrono::milliseconds{50}), ReceiveStatus::kTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds{50});
  ASSERT_TRUE(b.send(FrameType::kCollect, "p"));
  ASSERT_EQ(a.receive(frame), ReceiveStatus::kFrame);
  EXPECT_EQ(frame.type, FrameType::kCollect);
  EXPECT_EQ(frame.payload, "p");
  // Half a frame, then the peer goes away.
  ASSERT_EQ(write(sv[1], "\x10\0\0", 3), 3);
  close(sv[1]);
  EXPECT_EQ(a.receive(frame), ReceiveStatus::kClosed);
  EXPECT_FALSE(a.send(FrameType::kCollect, ""));
  close(sv[0]);
}

}  // namespace
}  // namespace resync::detail

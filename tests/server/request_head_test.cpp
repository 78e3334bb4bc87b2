// SPDX-License-Identifier: MIT
#include "request_head.hpp"

#include <gtest/gtest.h>

#include <string>

namespace resync::server::detail {
namespace {

HeadStatus scan(const std::string& text, RequestHead& head, std::string* why = nullptr) {
  return parse_request_head(text, HeadLimits{}, head, why);
}

TEST(RequestHeadTest, ParsesACompleteHead) {
  RequestHead h;
  const std::string text =
      "\r\nGET /health?x=1 HTTP/1.1\r\nHost: localhost:8000\r\nConnection:  close \n\r\nrest";
  ASSERT_EQ(scan(text, h), HeadStatus::kComplete);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/health?x=1");
  EXPECT_EQ(h.get("host"), "localhost:8000");
  EXPECT_EQ(h.get("Connection"), "close");
  EXPECT_FALSE(h.keep_alive());
  EXPECT_EQ(text.substr(h.length), "rest");
}

TEST(RequestHeadTest, KeepAliveFollowsTheVersion) {
  // The head's views point into the text, which must outlive them.
  const std::string v11 = "GET / HTTP/1.1\r\n\r\n", v10 = "GET / HTTP/1.0\r\n\r\n",
                    v10_keep = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
                    v11_close = "GET / HTTP/1.1\r\nConnection: TE, close\r\n\r\n";
  RequestHead h;
  ASSERT_EQ(scan(v11, h), HeadStatus::kComplete);
  EXPECT_TRUE(h.keep_alive());
  ASSERT_EQ(scan(v10, h), HeadStatus::kComplete);
  EXPECT_FALSE(h.keep_alive());
  ASSERT_EQ(scan(v10_keep, h), HeadStatus::kComplete);
  EXPECT_TRUE(h.keep_alive());
  ASSERT_EQ(scan(v11_close, h), HeadStatus::kComplete);
  EXPECT_FALSE(h.keep_alive());
}

TEST(RequestHeadTest, RefusesMalformedAndOversizedHeads) {
  RequestHead h;
  std::string why;
  EXPECT_EQ(scan("GET /", h), HeadStatus::kIncomplete);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: x\r\n", h), HeadStatus::kIncomplete);
  EXPECT_EQ(scan("GET  / HTTP/1.1\r\n\r\n", h), HeadStatus::kMalformed);
  EXPECT_EQ(scan("G(T / HTTP/1.1\r\n\r\n", h), HeadStatus::kMalformed);
  EXPECT_EQ(scan("GET / HTTP/2\r\n\r\n", h), HeadStatus::kMalformed);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\n folded\r\n\r\n", h, &why), HeadStatus::kMalformed);
  EXPECT_EQ(why, "malformed header field line");
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nA: " + std::string(9000, 'x') + "\r\n\r\n", h, &why),
            HeadStatus::kTooLarge);
  EXPECT_EQ(why, "header field A longer than 8192 bytes");
  EXPECT_EQ(scan("GET /" + std::string(5000, 'x') + " HTTP/1.1\r\n\r\n", h),
            HeadStatus::kTargetTooLong);
  EXPECT_EQ(scan(std::string(30000, 'G'), h), HeadStatus::kTooLarge);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) many += "A: b\r\n";
  EXPECT_EQ(scan(many + "\r\n", h, &why), HeadStatus::kTooLarge);
  EXPECT_EQ(why, "more than 100 header fields");
}

}  // namespace
}  // namespace resync::server::detail

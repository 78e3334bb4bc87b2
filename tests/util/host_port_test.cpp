// SPDX-License-Identifier: MIT
#include "resync/util/host_port.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace resync {
namespace {

// What parse_host_port() throws for `text`, or "" when it parses.
std::string reason(std::string_view text, std::optional<uint16_t> default_port = std::nullopt,
                   PortZero zero = PortZero::kReject) {
  try {
    parse_host_port(text, default_port, zero);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(HostPortTest, ParsesNamesAndIpv4) {
  HostPort a = parse_host_port("127.0.0.1:8000");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 8000);
  a = parse_host_port("redis-01.cache_net.example:6379");
  EXPECT_EQ(a.host, "redis-01.cache_net.example");
  EXPECT_EQ(a.port, 6379);
  EXPECT_EQ(parse_host_port("h:1").port, 1);
  EXPECT_EQ(parse_host_port("h:65535").port, 65535);
  EXPECT_EQ(parse_host_port("h:00080").port, 80);
}

TEST(HostPortTest, ParsesIpv6InBracketsAndStripsThem) {
  HostPort a = parse_host_port("[::1]:8000");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 8000);
  a = parse_host_port("[2001:db8::ff00:42:8329]:443");
  EXPECT_EQ(a.host, "2001:db8::ff00:42:8329");
  EXPECT_EQ(parse_host_port("[::ffff:192.0.2.1]:80").host, "::ffff:192.0.2.1");
  EXPECT_EQ(parse_host_port("[fe80::1%eth0]:80").host, "fe80::1%eth0");
}

TEST(HostPortTest, UsesTheDefaultPortOnlyWhenGiven) {
  EXPECT_EQ(parse_host_port("example.com", 443).port, 443);
  EXPECT_EQ(parse_host_port("[::1]", 80).port, 80);
  EXPECT_EQ(parse_host_port("[::1]", 80).host, "::1");
  EXPECT_EQ(parse_host_port("example.com:8080", 443).port, 8080);
  EXPECT_EQ(reason("localhost"), "no port");
  EXPECT_EQ(reason("[::1]"), "no port");
}

TEST(HostPortTest, PortZeroOnlyWhereAllowed) {
  EXPECT_EQ(parse_host_port("127.0.0.1:0", std::nullopt, PortZero::kAllow).port, 0);
  EXPECT_EQ(parse_host_port("[::1]:0", std::nullopt, PortZero::kAllow).port, 0);
  EXPECT_EQ(reason("127.0.0.1:0"), "port 0 is out of range 1..65535");
  EXPECT_EQ(reason("h:65536", std::nullopt, PortZero::kAllow),
            "port 65536 is out of range 0..65535");
}

TEST(HostPortTest, SaysWhatIsWrong) {
  EXPECT_EQ(reason(""), "empty");
  EXPECT_EQ(reason(":8000"), "no host");
  EXPECT_EQ(reason("[]:8000"), "no host");
  EXPECT_EQ(reason("host:"), "no port after ':'");
  EXPECT_EQ(reason("host:80x"), "port \"80x\" is not a number");
  EXPECT_EQ(reason("host:-1"), "port \"-1\" is not a number");
  EXPECT_EQ(reason("host:+80"), "port \"+80\" is not a number");
  EXPECT_EQ(reason("host: 80"), "port \" 80\" is not a number");
  EXPECT_EQ(reason("host:99999"), "port 99999 is out of range 1..65535");
  EXPECT_EQ(reason("host:99999999999999999999"),
            "port 99999999999999999999 is out of range 1..65535");
  EXPECT_EQ(reason("::1:8000"), "write an IPv6 address in brackets, like [::1]:PORT");
  EXPECT_EQ(reason("[::1:8000"), "no ']' after the IPv6 address");
  EXPECT_EQ(reason("[::1]8000"), "expected ':' after ']'");
  EXPECT_EQ(reason("[localhost]:80"), "\"localhost\" in brackets is not an IPv6 address");
  EXPECT_EQ(reason("[1234]:80"), "\"1234\" in brackets is not an IPv6 address");
  EXPECT_EQ(reason("[fe80::1%]:80"), "invalid IPv6 zone after '%'");
  EXPECT_EQ(reason("my host:80"), "invalid character ' ' in host");
  EXPECT_EQ(reason("user@host:80"), "invalid character '@' in host");
  EXPECT_EQ(reason("http://host:80"), "a URL; write only HOST:PORT");
  EXPECT_EQ(reason("mail:smtp:25"), "invalid character ':' in host");
  EXPECT_EQ(reason(std::string("ho\nst:80")), "invalid character '\\x0a' in host");
  EXPECT_EQ(reason(std::string("h\0st:80", 7)), "invalid character '\\x00' in host");
}

TEST(HostPortTest, BoundsTheTextItReads) {
  const std::string name(kMaxHostPortLength - 6, 'a');
  EXPECT_EQ(parse_host_port(name + ":65535").host, name);
  EXPECT_EQ(reason(name + "a:65535"), "longer than 300 characters");
}

TEST(HostPortTest, TryParseGivesTheSameAnswerWithoutThrowing) {
  std::string error;
  EXPECT_FALSE(try_parse_host_port("host:99999", std::nullopt, PortZero::kReject, &error));
  EXPECT_EQ(error, "port 99999 is out of range 1..65535");
  EXPECT_FALSE(try_parse_host_port("localhost"));
  const auto ok = try_parse_host_port("[::1]", 443, PortZero::kReject, &error);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->host, "::1");
  EXPECT_EQ(ok->port, 443);
}

TEST(HostPortTest, FormatsWhatItParses) {
  EXPECT_EQ(format_host_port("127.0.0.1", 8000), "127.0.0.1:8000");
  EXPECT_EQ(format_host_port("::1", 0), "[::1]:0");
  for (const char* text :
       {"127.0.0.1:8000", "[::1]:8000", "example.com:1", "[fe80::1%eth0]:65535"}) {
    const HostPort a = parse_host_port(text);
    EXPECT_EQ(format_host_port(a.host, a.port), text);
  }
}

}  // namespace
}  // namespace resync

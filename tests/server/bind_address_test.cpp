// SPDX-License-Identifier: MIT
#include "bind_address.hpp"

#include <gtest/gtest.h>

#include "resync/error.hpp"
#include "resync/server/http_server.hpp"

namespace resync {
namespace {

TEST(BindAddressTest, ParsesBindAddresses) {
  auto b = server::parse_bind("127.0.0.1:8000");
  EXPECT_EQ(b.host, "127.0.0.1");
  EXPECT_EQ(b.port, 8000);
  b = server::parse_bind("[::1]:0");
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, 0);
  for (const char* bad : {"8000", ":8000", "host:", "host:99999", "host:80x", "[::1", ""}) {
    EXPECT_THROW(server::parse_bind(bad, "--bind"), ConfigError) << bad;
  }
  try {
    server::parse_bind("localhost", "--bind");
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "--bind: expected HOST:PORT like \"127.0.0.1:8000\", got \"localhost\"");
  }
}

TEST(BindAddressTest, SplitsAuthoritiesWithDefaultPorts) {
  using server::detail::split_authority;
  using Authority = std::pair<std::string_view, uint32_t>;
  EXPECT_EQ(split_authority("example.com", 80), Authority("example.com", 80));
  EXPECT_EQ(split_authority("example.com:8080", 80), Authority("example.com", 8080));
  EXPECT_EQ(split_authority("[::1]:8000", 80), Authority("[::1]", 8000));
  EXPECT_EQ(split_authority("[::1]", 443), Authority("[::1]", 443));
  for (const char* bad : {"", ":80", "host:8x", "[::1", "[::1]x"}) {
    EXPECT_EQ(split_authority(bad, 80), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "resync/error.hpp"
#include "resync/server/http_server.hpp"

namespace resync {
namespace {

TEST(BindAddressTest, ParsesBindAddresses) {
  auto b = server::parse_bind("127.0.0.1:9882");
  EXPECT_EQ(b.host, "127.0.0.1");
  EXPECT_EQ(b.port, 9882);
  b = server::parse_bind("[::1]:0");
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, 0);
  for (const char* bad : {"8000", ":8000", "host:", "host:99999", "host:80x", "[::1", ""}) {
    EXPECT_THROW(server::parse_bind(bad, "--bind"), ConfigError) << bad;
  }
  try {
    server::parse_bind("localhost", "--bind");
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "--bind: expected HOST:PORT like \"127.0.0.1:9882\", got \"localhost\" (no port)");
  }
}

}  // namespace
}  // namespace resync

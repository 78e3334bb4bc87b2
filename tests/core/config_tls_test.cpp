// SPDX-License-Identifier: MIT
// `server.tls`: both files required, paths taken from the configuration file's folder, the same in
// YAML and TOML. Whether the files load is the server's check (tests/server/tls_reload_test.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config_test_util.hpp"
#include "resync/config.hpp"
#include "resync/notify.hpp"

namespace resync {
namespace {

using test::config_error;

TEST(ConfigTlsTest, OffByDefault) {
  const Config c = parse_config("interval: 5s\n", ConfigFormat::kYaml, "test.yaml");
  EXPECT_EQ(c.server.tls_cert_file, "");
  EXPECT_EQ(c.server.tls_key_file, "");
}

TEST(ConfigTlsTest, RelativePathsAreTakenFromTheConfigurationsFolder) {
  const Config c = parse_config(
      "server:\n  tls: {cert_file: tls/cert.pem, key_file: /etc/ssl/private/key.pem}\n",
      ConfigFormat::kYaml, "/etc/resync-mon/resync.yaml");
  EXPECT_EQ(c.server.tls_cert_file, "/etc/resync-mon/tls/cert.pem");
  EXPECT_EQ(c.server.tls_key_file, "/etc/ssl/private/key.pem");
  const Config here = parse_config("[server.tls]\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n",
                                   ConfigFormat::kToml, "resync.toml");
  EXPECT_EQ(here.server.tls_cert_file, "c.pem");
  EXPECT_EQ(here.server.tls_key_file, "k.pem");
}

TEST(ConfigTlsTest, RefusalsNameFileLineAndKey) {
  EXPECT_EQ(config_error("server:\n  tls: {cert_file: c.pem}\n"),
            "test.yaml:2: server.tls.key_file: missing; TLS needs both cert_file and key_file "
            "(PEM)");
  EXPECT_EQ(config_error("server:\n  tls:\n    cert_file: \"\"\n    key_file: k.pem\n"),
            "test.yaml:3: server.tls.cert_file: expected a file name, got \"\"");
  EXPECT_THAT(config_error("server:\n  tls: {cert_file: c.pem, key_file: k.pem, ca_file: x}\n"),
              testing::StartsWith("test.yaml:2: server.tls"));
  EXPECT_THAT(config_error("server:\n  tls: on\n"), testing::StartsWith("test.yaml:2: server.tls"));
}

TEST(ConfigTlsTest, NotificationsLinkTheDashboardOverHttps) {
  EXPECT_EQ(default_dashboard_url("127.0.0.1:9882", true), "https://127.0.0.1:9882/monitoring");
  EXPECT_EQ(default_dashboard_url("127.0.0.1:9882"), "http://127.0.0.1:9882/monitoring");
}

}  // namespace
}  // namespace resync

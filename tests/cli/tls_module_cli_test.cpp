// SPDX-License-Identifier: MIT
// TLS on demand in the real binary: OpenSSL and Poco NetSSL live in resync-mon-tls.so, loaded on
// the first TLS need, so a plain `serve` maps none of them (issue 17's idle RSS goal) and a
// binary without the module says which file it looked for.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "run_cli.hpp"
#include "test_support.hpp"
#include "tls_support.hpp"

namespace resync {
namespace {

using testing::HasSubstr;
using testing::Not;

// What only TLS needs: each costs its relocated pages at start-up once mapped.
const char* const kTlsOnly[] = {"libssl.so",     "libcrypto.so",     "libPocoNetSSL",
                                "libPocoCrypto", "libPocoUtil",      "libPocoXML",
                                "libexpat",      "resync-mon-tls.so"};

std::string maps_of(test::ServeProcess& serve) {
  return test::read_file("/proc/" + std::to_string(serve.process().pid()) + "/maps");
}

TEST(TlsModuleCliTest, PlainServeMapsNoTlsLibrary) {
  test::TempDir dir("resync-tls-module");
  // No file: the embedded default, as a user starts it.
  test::ServeProcess serve("", dir.file("serve.log"));
  ASSERT_FALSE(serve.url().empty()) << test::read_file(dir.file("serve.log"));
  ASSERT_TRUE(serve.wait_for_samples(1));
  const std::string maps = maps_of(serve);
  EXPECT_THAT(maps, HasSubstr("system.so"));
  for (const char* library : kTlsOnly) EXPECT_THAT(maps, Not(HasSubstr(library)));
}

TEST(TlsModuleCliTest, ServerTlsLoadsTheModule) {
  test::TempDir dir("resync-tls-module");
  test::TestPki pki;
  pki.issue("server", "localhost");
  test::write_file(dir.file("tls.yaml"), "server:\n  tls: {cert_file: \"" + pki.cert() +
                                             "\", key_file: \"" + pki.key() + "\"}\n");
  test::ServeProcess serve(dir.file("tls.yaml"), dir.file("serve.log"));
  ASSERT_THAT(serve.url(), HasSubstr("https://")) << test::read_file(dir.file("serve.log"));
  const std::string maps = maps_of(serve);
  EXPECT_THAT(maps, HasSubstr("resync-mon-tls.so"));
  EXPECT_THAT(maps, HasSubstr("libssl.so"));
  const test::Ran health =
      test::run("curl -sS --max-time 20 --cacert " + pki.ca() + " " + serve.url() + "/health");
  EXPECT_EQ(health.status, 0) << health.output;
}

TEST(TlsModuleCliTest, MissingModuleIsNamed) {
  if (std::filesystem::exists(RESYNC_TLS_MODULE_INSTALL_PATH))
    GTEST_SKIP() << "an installed module would be found: " << RESYNC_TLS_MODULE_INSTALL_PATH;
  // The binary alone in a folder, as a package split wrongly would leave it.
  test::TempDir dir("resync-tls-module");
  const std::string binary = dir.file("resync-mon");
  std::filesystem::copy_file(test::resync_binary(), binary);
  test::TestPki pki;
  pki.issue("server", "localhost");
  test::write_file(dir.file("tls.yaml"), "server:\n  tls: {cert_file: \"" + pki.cert() +
                                             "\", key_file: \"" + pki.key() + "\"}\n");
  const test::Ran check = test::run(binary + " config check " + dir.file("tls.yaml"));
  EXPECT_EQ(check.status, 3) << check.output;
  EXPECT_THAT(check.output, HasSubstr("server.tls: TLS support not installed: " +
                                      std::string(RESYNC_TLS_MODULE_INSTALL_PATH)));
  const test::Ran fetch = test::run(binary + " current --url https://127.0.0.1:9/");
  EXPECT_THAT(fetch.output, HasSubstr("TLS support not installed"));
}

}  // namespace
}  // namespace resync

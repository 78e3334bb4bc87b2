// SPDX-License-Identifier: MIT
// server.tls files: the errors that name them, and HttpServer::reload_tls() swapping the
// certificate for new connections while open ones keep theirs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "resync/error.hpp"
#include "server_test_util.hpp"
#include "tls_support.hpp"

namespace resync {
namespace {

using test::TestServer;
using testing::HasSubstr;

void copy_over(const std::string& from, const std::string& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

server::HttpServerOptions tls_options(const test::TestPki& pki) {
  server::HttpServerOptions o;
  o.tls_cert_file = pki.cert();
  o.tls_key_file = pki.key();
  return o;
}

TEST(TlsFilesTest, CheckNamesTheKeyTheFileAndWhatIsWrong) {
  test::TestPki pki;
  pki.issue("other", "other");
  EXPECT_EQ(server::check_tls_files(pki.cert(), pki.key()), "");
  EXPECT_THAT(server::check_tls_files(pki.file("missing.pem"), pki.key()),
              HasSubstr("server.tls.cert_file: cannot read \"" + pki.file("missing.pem") +
                        "\": No such file or directory"));
  EXPECT_THAT(server::check_tls_files(pki.cert(), pki.file("missing.key")),
              HasSubstr("server.tls.key_file: cannot read"));
  test::write_file(pki.file("text.pem"), "not a certificate\n");
  EXPECT_THAT(server::check_tls_files(pki.file("text.pem"), pki.key()),
              HasSubstr("server.tls.cert_file: \"" + pki.file("text.pem") +
                        "\" holds no usable PEM certificate"));
  EXPECT_THAT(server::check_tls_files(pki.cert(), pki.key("other")),
              HasSubstr("server.tls.key_file: \"" + pki.key("other") +
                        "\" does not match the certificate in \"" + pki.cert() + "\""));
  // An encrypted key would ask for a passphrase on the terminal: refused instead.
  const test::Ran encrypted = test::run("openssl pkey -in " + pki.key() + " -aes256 -passout " +
                                        "pass:secret -out " + pki.file("encrypted.key"));
  ASSERT_EQ(encrypted.status, 0) << encrypted.output;
  EXPECT_THAT(server::check_tls_files(pki.cert(), pki.file("encrypted.key")),
              HasSubstr("holds no usable unencrypted PEM private key"));
  // The key where the certificate should be.
  EXPECT_THAT(server::check_tls_files(pki.key(), pki.key()), HasSubstr("server.tls.cert_file"));
}

TEST(TlsFilesTest, StartRefusesFilesThatDoNotLoad) {
  test::TestPki pki;
  server::HttpServerOptions o = tls_options(pki);
  o.tls_key_file = pki.file("missing.key");
  TestServer s(test::test_config("1s", "1m"), o);
  try {
    s.start(false);
    FAIL() << "started without its key";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("server.tls.key_file: cannot read"));
  }
}

TEST(TlsReloadTest, NewConnectionsGetTheRenewedCertificateOpenOnesKeepTheirs) {
  test::TestPki pki;
  pki.issue("renewed", "renewed.localhost");
  TestServer s(test::test_config("1s", "1m"), tls_options(pki));
  s.start(false);
  test::TlsClient before(s.http.port(), pki.ca());
  EXPECT_EQ(before.peer_subject(), "/CN=localhost");

  // Renewed on disk: nothing changes until the reload.
  copy_over(pki.cert("renewed"), pki.cert());
  copy_over(pki.key("renewed"), pki.key());
  EXPECT_EQ(test::TlsClient(s.http.port(), pki.ca()).peer_subject(), "/CN=localhost");
  EXPECT_EQ(s.http.reload_tls(), "");
  EXPECT_EQ(test::TlsClient(s.http.port(), pki.ca()).peer_subject(), "/CN=renewed.localhost");

  before.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const std::string answer = before.read_until(
      [](const std::string& r) { return r.find("\r\n\r\n") != std::string::npos; });
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
}

TEST(TlsReloadTest, HandshakesDuringReloadsAllSucceed) {
  test::TestPki pki;
  pki.issue("renewed", "renewed.localhost");
  TestServer s(test::test_config("1s", "1m"), tls_options(pki));
  s.start(false);
  std::atomic<bool> done{false};
  std::atomic<int> ok{0}, failed{0};
  std::thread client([&] {
    while (!done) {
      try {
        const std::string subject = test::TlsClient(s.http.port(), pki.ca()).peer_subject();
        ++(subject == "/CN=localhost" || subject == "/CN=renewed.localhost" ? ok : failed);
      } catch (const std::exception&) {
        ++failed;
      }
    }
  });
  // Swapped back and forth while the other thread connects, until it has seen plenty.
  for (int i = 0; i < 20 || (ok < 50 && i < 100'000); ++i) {
    const std::string name = i % 2 ? "server" : "renewed";
    const std::string error = s.http.reload_tls(pki.cert(name), pki.key(name));
    if (!error.empty()) {
      ADD_FAILURE() << error;
      break;
    }
  }
  done = true;
  client.join();
  EXPECT_EQ(failed, 0);
  EXPECT_GE(ok, 50);
}

TEST(TlsReloadTest, AFailedReloadKeepsTheCertificateItHad) {
  test::TestPki pki;
  pki.issue("other", "other.localhost");
  TestServer s(test::test_config("1s", "1m"), tls_options(pki));
  s.start(false);

  test::write_file(pki.cert(), "-----BEGIN CERTIFICATE-----\ntruncated\n");
  EXPECT_THAT(s.http.reload_tls(), HasSubstr("server.tls.cert_file"));
  EXPECT_EQ(test::TlsClient(s.http.port(), pki.ca()).peer_subject(), "/CN=localhost");

  EXPECT_THAT(s.http.reload_tls(pki.cert("other"), pki.key()),
              HasSubstr("does not match the certificate"));
  EXPECT_EQ(test::TlsClient(s.http.port(), pki.ca()).peer_subject(), "/CN=localhost");

  // Other files (a reloaded configuration naming new ones) are taken, and kept for the next.
  EXPECT_EQ(s.http.reload_tls(pki.cert("other"), pki.key("other")), "");
  EXPECT_EQ(test::TlsClient(s.http.port(), pki.ca()).peer_subject(), "/CN=other.localhost");
  EXPECT_EQ(s.http.reload_tls(), "");
  EXPECT_EQ(test::TlsClient(s.http.port(), pki.ca()).peer_subject(), "/CN=other.localhost");

  EXPECT_THAT(s.http.reload_tls("", ""), HasSubstr("restart to turn it off"));
}

TEST(TlsReloadTest, APlainServerCannotTurnTlsOnByReload) {
  test::TestPki pki;
  TestServer s(test::test_config("1s", "1m"));
  s.start(false);
  EXPECT_FALSE(s.http.tls());
  EXPECT_EQ(s.http.reload_tls(), "");
  EXPECT_THAT(s.http.reload_tls(pki.cert(), pki.key()), HasSubstr("restart to turn it on"));
  EXPECT_EQ(s.http.base_url().rfind("http://", 0), 0u);
}

}  // namespace
}  // namespace resync

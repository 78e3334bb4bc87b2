// SPDX-License-Identifier: MIT
// server.tls against real clients: curl, `openssl s_client` and an OpenSSL client in-process, with
// a CA and certificates made by the `openssl` command line for each test.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "resync/error.hpp"
#include "server_test_util.hpp"
#include "tls_support.hpp"
#include "ws_frame.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using test::Ran;
using test::TestServer;

class TlsTest : public testing::Test {
 protected:
  server::HttpServerOptions options() const {
    server::HttpServerOptions o;
    o.tls_cert_file = pki.cert();
    o.tls_key_file = pki.key();
    return o;
  }
  // curl's body, then a line with the status code; `status` is curl's exit code.
  static Ran curl(const std::string& args, const std::string& url) {
    return test::run("curl -sS --max-time 20 -w '\\n%{http_code}' " + args + " " + url);
  }
  static bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  }
  static std::string get(test::TlsClient& client, const std::string& path) {
    client.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    return client.read_until([](const std::string& r) {
      const size_t end = r.find("\r\n\r\n");
      const size_t length = r.find("Content-Length: ");
      return end != std::string::npos && length != std::string::npos &&
             r.size() >= end + 4 + std::stoul(r.substr(length + 16));
    });
  }

  test::TestPki pki;
};

TEST_F(TlsTest, CurlWithTheCaGetsHealthAndCurrentOverHttps) {
  TestServer s(test::test_config("1s", "1m"), options());
  s.start();
  EXPECT_EQ(s.http.base_url().rfind("https://127.0.0.1:", 0), 0u) << s.http.base_url();
  const Ran health = curl("--cacert " + pki.ca(), s.url("/health"));
  EXPECT_EQ(health.status, 0) << health.output;
  EXPECT_TRUE(ends_with(health.output, "\n200")) << health.output;
  const Ran current = curl("--cacert " + pki.ca() + " -v", s.url("/api/monitoring/current"));
  EXPECT_TRUE(ends_with(current.output, "\n200")) << current.output;
  EXPECT_NE(current.output.find("\"tws\""), std::string::npos) << current.output;
  EXPECT_NE(current.output.find("ALPN: server accepted http/1.1"), std::string::npos);
  // The same name as the certificate's SAN DNS entry.
  const Ran by_name =
      curl("--cacert " + pki.ca() + " --resolve localhost:" + std::to_string(s.http.port()) +
               ":127.0.0.1",
           "https://localhost:" + std::to_string(s.http.port()) + "/health");
  EXPECT_TRUE(ends_with(by_name.output, "\n200")) << by_name.output;
}

TEST_F(TlsTest, BasicAuthWithAHashFromHashPassword) {
  const Ran hashed =
      test::run("printf 'tls pass\\n' | " + test::resync_binary() + " hash-password");
  ASSERT_EQ(hashed.status, 0) << hashed.output;
  server::HttpServerOptions o = options();
  o.policies.auth_user = "ops";
  o.policies.auth_password_hash = hashed.output.substr(0, hashed.output.find('\n'));
  TestServer s(test::test_config("1s", "1m"), o);
  s.start();
  const std::string ca = "--cacert " + pki.ca();
  EXPECT_TRUE(
      ends_with(curl(ca + " -u 'ops:tls pass'", s.url("/api/monitoring/current")).output, "\n200"));
  EXPECT_TRUE(
      ends_with(curl(ca + " -u ops:wrong", s.url("/api/monitoring/current")).output, "\n401"));
  EXPECT_TRUE(ends_with(curl(ca, s.url("/api/monitoring/current")).output, "\n401"));
  EXPECT_TRUE(ends_with(curl(ca, s.url("/health")).output, "\n200"));
}

TEST_F(TlsTest, CurlWithoutTheCaRefusesTheCertificate) {
  TestServer s(test::test_config("1s", "1m"), options());
  s.start(false);
  const Ran r = curl("", s.url("/health"));
  EXPECT_EQ(r.status, 60) << r.output;  // CURLE_PEER_FAILED_VERIFICATION
  EXPECT_NE(r.output.find("certificate"), std::string::npos) << r.output;
}

TEST_F(TlsTest, RefusesTls11AndTakesTls12) {
  TestServer s(test::test_config("1s", "1m"), options());
  s.start(false);
  const std::string connect =
      "openssl s_client -connect 127.0.0.1:" + std::to_string(s.http.port()) + " -CAfile " +
      pki.ca();
  // SECLEVEL=0 lets this client offer TLS 1.1, so the refusal is the server's.
  const Ran old = test::run(connect + " -tls1_1 -cipher DEFAULT@SECLEVEL=0");
  EXPECT_NE(old.status, 0) << old.output;
  EXPECT_NE(old.output.find("alert protocol version"), std::string::npos) << old.output;
  const Ran curl_old = curl("--cacert " + pki.ca() + " --tlsv1.1 --tls-max 1.1", s.url("/health"));
  EXPECT_NE(curl_old.status, 0) << curl_old.output;
  const Ran tls12 = test::run(connect + " -tls1_2");
  EXPECT_EQ(tls12.status, 0) << tls12.output;
  EXPECT_NE(tls12.output.find("Protocol  : TLSv1.2"), std::string::npos) << tls12.output;
  EXPECT_NE(tls12.output.find("Verify return code: 0 (ok)"), std::string::npos) << tls12.output;
}

TEST_F(TlsTest, StalledAndDrippedHandshakesAreDroppedAtTheRequestDeadline) {
  server::HttpServerOptions o = options();
  o.request_timeout = 500ms;
  TestServer s(test::test_config("1s", "1m"), o);
  s.start(false);
  const auto started = std::chrono::steady_clock::now();
  test::RawSocket silent(s.http.port());
  test::RawSocket dripping(s.http.port());
  ASSERT_TRUE(test::eventually([&] { return s.http.connections() == 2; }));
  // A ClientHello one byte at a time: each byte is news, none moves the deadline.
  const std::string hello = test::client_hello();
  bool dropped = false;
  for (size_t i = 0; i < hello.size() - 1 && !dropped; ++i) {
    dropped = !dripping.send(hello.substr(i, 1)) || dripping.closed_within(20ms);
  }
  EXPECT_TRUE(dropped || dripping.closed_within(test::kPatience));
  EXPECT_TRUE(silent.closed_within(test::kPatience));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 450ms);
  EXPECT_TRUE(test::eventually([&] { return s.http.connections() == 0; }));
}

TEST_F(TlsTest, HandshakesCountAgainstThePerClientCap) {
  server::HttpServerOptions o = options();
  o.max_connections_per_client = 2;
  TestServer s(test::test_config("1s", "1m"), o);
  s.start(false);
  auto first = std::make_unique<test::RawSocket>(s.http.port());
  test::RawSocket second(s.http.port());
  ASSERT_TRUE(test::eventually([&] { return s.http.connections() == 2; }));
  test::RawSocket third(s.http.port());
  EXPECT_TRUE(third.closed_within(test::kPatience));
  EXPECT_NE(curl("--cacert " + pki.ca(), s.url("/health")).status, 0);
  first.reset();
  ASSERT_TRUE(test::eventually([&] { return s.http.connections() == 1; }));
  EXPECT_TRUE(ends_with(curl("--cacert " + pki.ca(), s.url("/health")).output, "\n200"));
}

TEST_F(TlsTest, HostileClientsLeaveTheServerServing) {
  TestServer s(test::test_config("1s", "1m"), options());
  s.start(false);
  const std::string hello = test::client_hello();
  {
    test::RawSocket truncated(s.http.port());  // half a ClientHello, then gone
    truncated.send(hello.substr(0, hello.size() / 2));
  }
  {
    test::RawSocket mid_handshake(s.http.port());  // a whole one, the server's answer unread
    mid_handshake.send(hello);
  }
  {
    test::RawSocket garbage(s.http.port());  // not TLS at all
    garbage.send(std::string("\x16\x03\x01\xff\xff", 5) + std::string(64, '\x07'));
    EXPECT_TRUE(garbage.closed_within(test::kPatience));
  }
  {
    test::TlsClient after_handshake(s.http.port(), pki.ca());
    after_handshake.write(std::string("\x01\x02\xff\xfe garbage\r\n\r\n", 16));
    const std::string answer = after_handshake.read_until([](const std::string&) { return false; });
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  }
  const Ran plain = curl("", "http://127.0.0.1:" + std::to_string(s.http.port()) + "/health");
  EXPECT_TRUE(ends_with(plain.output, "\n400")) << plain.output;
  EXPECT_NE(plain.output.find("plain HTTP sent to a TLS port"), std::string::npos);
  EXPECT_TRUE(test::eventually([&] { return s.http.connections() == 0; }));
  EXPECT_TRUE(ends_with(curl("--cacert " + pki.ca(), s.url("/health")).output, "\n200"));
}

TEST_F(TlsTest, KeepAliveAndPipelinedRequestsOverOneSession) {
  TestServer s(test::test_config("1s", "1m"), options());
  s.start(false);
  test::TlsClient client(s.http.port(), pki.ca());
  EXPECT_EQ(client.alpn(), "http/1.1");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get(client, "/health").rfind("HTTP/1.1 200", 0), 0u);
  // Two requests in one record (the second waits decrypted inside OpenSSL, seen by no epoll),
  // then two records sent back to back.
  client.write(
      "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
      "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const std::string first = client.read_until([](const std::string& r) {
    return r.find("resync_mon_") != std::string::npos && ends_with(r, "\n");
  });
  EXPECT_NE(first.find("HTTP/1.1 200", 1), std::string::npos) << first.substr(0, 300);
  client.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  client.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const std::string both = client.read_until([](const std::string& r) {
    return r.find("resync_mon_") != std::string::npos && ends_with(r, "\n");
  });
  EXPECT_NE(both.find("HTTP/1.1 200", 1), std::string::npos) << both.substr(0, 300);
}

TEST_F(TlsTest, WebSocketClientsGetPushesOverTls) {
  TestServer s(test::test_config("200ms", "1m"), options());
  s.start();
  test::TlsClient client(s.http.port(), pki.ca());
  client.write(
      "GET /api/monitoring/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n");
  std::string in = client.read_until(
      [](const std::string& r) { return r.find("\r\n\r\n") != std::string::npos; });
  ASSERT_EQ(in.rfind("HTTP/1.1 101", 0), 0u) << in;
  in.erase(0, in.find("\r\n\r\n") + 4);
  std::vector<std::string> documents;
  while (documents.size() < 3) {
    const auto frame = server::detail::decode_ws_frame_header(in);
    if (frame && in.size() >= frame->header_size + frame->payload_size) {
      if (frame->opcode == server::detail::kWsText)
        documents.push_back(in.substr(frame->header_size, frame->payload_size));
      in.erase(0, frame->header_size + frame->payload_size);
    } else {
      ASSERT_TRUE(client.read_some(in)) << "the server went silent after " << documents.size();
    }
  }
  EXPECT_NE(documents[0].find("\"status\""), std::string::npos) << documents[0];
  EXPECT_NE(documents[1], documents[2]);
  EXPECT_EQ(s.http.websocket_clients(), 1u);
}

}  // namespace
}  // namespace resync

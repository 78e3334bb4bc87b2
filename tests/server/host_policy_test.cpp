// SPDX-License-Identifier: MIT
#include "host_policy.hpp"

#include <gtest/gtest.h>

#include <string>

#include "server_test_util.hpp"

namespace resync {
namespace {

using server::detail::CorsPolicy;
using server::detail::HostPolicy;
using test::http_get;
using test::http_request;
using test::TestServer;

TEST(HostPolicyTest, OnLoopbackAcceptsOnlyLoopbackNamesTheBoundAddressAndTheList) {
  const HostPolicy p("127.0.0.1", {"monitor.example"});
  for (const char* ok : {"localhost", "LOCALHOST:8000", "127.0.0.1", "127.0.0.1:8000",
                         "127.1.2.3:80", "[::1]", "[::1]:8000", "monitor.example:8000", ""}) {
    EXPECT_TRUE(p.allowed(ok)) << ok;
  }
  for (const char* bad : {"evil.example", "evil.example:8000", "localhost.evil.example",
                          "128.0.0.1", "[::2]:8000", "10.0.0.1", "bad host", "monitor.example.x"}) {
    EXPECT_FALSE(p.allowed(bad)) << bad;
  }
  EXPECT_TRUE(HostPolicy("::1", {}).allowed("[::1]:9"));
  EXPECT_TRUE(HostPolicy("localhost", {}).allowed("localhost:9"));
  EXPECT_TRUE(HostPolicy("127.0.0.1", {"*"}).allowed("evil.example"));
}

TEST(HostPolicyTest, ElsewhereAppliesOnlyWhenAListIsGiven) {
  EXPECT_TRUE(HostPolicy("0.0.0.0", {}).allowed("anything.example"));
  EXPECT_TRUE(HostPolicy("192.0.2.7", {}).allowed("anything.example"));
  const HostPolicy listed("192.0.2.7", {"mon.example"});
  EXPECT_TRUE(listed.allowed("mon.example:8000"));
  EXPECT_TRUE(listed.allowed("192.0.2.7:8000"));
  EXPECT_TRUE(listed.allowed("localhost"));
  EXPECT_FALSE(listed.allowed("evil.example"));
}

TEST(HostPolicyTest, CorsMatchesListedOriginsOnly) {
  EXPECT_TRUE(CorsPolicy({"https://ops.example"}).allows("https://OPS.example"));
  EXPECT_FALSE(CorsPolicy({"https://ops.example"}).allows("https://evil.example"));
  EXPECT_FALSE(CorsPolicy({"https://ops.example"}).allows(""));
  EXPECT_FALSE(CorsPolicy({}).allows("https://ops.example"));
  EXPECT_TRUE(CorsPolicy({"*"}).allows("https://any.example"));
}

TEST(HostPolicyTest, ARebindingHostGets403OnEveryEndpoint) {
  TestServer s(test::test_config("10s", "1m"));
  s.start(false);
  const std::map<std::string, std::string> evil{{"Host", "evil.example"}};
  for (const char* path : {"/health", "/api/monitoring/current", "/metrics", "/monitoring",
                           "/api/monitoring/ws", "/no/such/path"}) {
    test::expect_json_error(http_get(s.url(path), evil), 403, "host not allowed: evil.example");
  }
  const std::string port = std::to_string(s.http.port());
  EXPECT_EQ(http_get(s.url("/api/monitoring/current"), {{"Host", "localhost:" + port}}).status,
            200);
  EXPECT_EQ(http_get(s.url("/health"), {{"Host", "127.0.0.1:" + port}}).status, 200);
  EXPECT_EQ(http_get(s.url("/health"), {{"Host", "[::1]:" + port}}).status, 200);
  // The WebSocket upgrade itself is refused before the handshake.
  const auto ws = test::raw_http(s.http.port(),
                                 "GET /api/monitoring/ws HTTP/1.1\r\nHost: evil.example\r\n"
                                 "Connection: Upgrade\r\nUpgrade: websocket\r\n"
                                 "Sec-WebSocket-Version: 13\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  EXPECT_EQ(ws.status, 403);
  EXPECT_NE(ws.body.find("host not allowed"), std::string::npos);
}

TEST(HostPolicyTest, AllowedHostsExtendTheList) {
  server::HttpServerOptions o;
  o.policies.allowed_hosts = {"monitor.example"};
  TestServer s(test::test_config("10s", "1m"), o);
  s.start(false);
  EXPECT_EQ(http_get(s.url("/health"), {{"Host", "monitor.example:8000"}}).status, 200);
  EXPECT_EQ(http_get(s.url("/health"), {{"Host", "other.example"}}).status, 403);
}

TEST(HostPolicyTest, CorsHeadersOnlyForListedOrigins) {
  server::HttpServerOptions o;
  o.policies.cors_origins = {"https://ops.example"};
  o.policies.auth_token = "t0k3n";
  TestServer s(test::test_config("10s", "1m"), o);
  s.start(false);
  const std::map<std::string, std::string> auth{{"Authorization", "Bearer t0k3n"},
                                                {"Origin", "https://ops.example"}};
  const auto listed = http_get(s.url("/api/monitoring/current"), auth);
  EXPECT_EQ(listed.status, 200);
  EXPECT_EQ(test::header(listed, "access-control-allow-origin"), "https://ops.example");
  const auto health = http_get(s.url("/health"), {{"Origin", "https://ops.example"}});
  EXPECT_EQ(test::header(health, "access-control-allow-origin"), "https://ops.example");
  EXPECT_EQ(test::header(health, "vary"), "Origin");

  const auto other = http_get(s.url("/api/monitoring/current"),
                              {{"Authorization", "Bearer t0k3n"}, {"Origin", "https://x.example"}});
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(test::header(other, "access-control-allow-origin"), "");

  // The preflight carries no credentials and is answered before authentication.
  const auto preflight = http_request("OPTIONS", s.url("/api/monitoring/current"),
                                      {{"Origin", "https://ops.example"},
                                       {"Access-Control-Request-Method", "GET"},
                                       {"Access-Control-Request-Headers", "authorization"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(test::header(preflight, "access-control-allow-origin"), "https://ops.example");
  EXPECT_NE(test::header(preflight, "access-control-allow-headers").find("Authorization"),
            std::string::npos);
  EXPECT_EQ(
      http_request("OPTIONS", s.url("/api/monitoring/current"),
                   {{"Origin", "https://x.example"}, {"Access-Control-Request-Method", "GET"}})
          .status,
      401);
}

TEST(HostPolicyTest, NoCorsHeadersWithoutCorsOrigins) {
  TestServer s(test::test_config("10s", "1m"));
  s.start(false);
  const auto r = http_get(s.url("/health"), {{"Origin", "https://ops.example"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(test::header(r, "access-control-allow-origin"), "");
}

}  // namespace
}  // namespace resync

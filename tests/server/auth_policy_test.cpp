// SPDX-License-Identifier: MIT
#include "auth_policy.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

#include "resync/log.hpp"
#include "server_test_util.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using test::expect_json_error;
using test::http_get;
using test::TestServer;

TEST(AuthPolicyTest, ComparesSecretsWholly) {
  using server::detail::constant_time_equals;
  EXPECT_TRUE(constant_time_equals("s3cret", "s3cret"));
  EXPECT_FALSE(constant_time_equals("s3cre", "s3cret"));
  EXPECT_FALSE(constant_time_equals("s3crett", "s3cret"));
  EXPECT_FALSE(constant_time_equals("S3cret", "s3cret"));
  EXPECT_FALSE(constant_time_equals("", "s3cret"));
}

TEST(AuthPolicyTest, AllowsSameOriginOrListedOrigins) {
  using server::detail::origin_allowed;
  EXPECT_TRUE(origin_allowed("", "127.0.0.1:8000", {}));
  EXPECT_TRUE(origin_allowed("http://127.0.0.1:8000", "127.0.0.1:8000", {}));
  EXPECT_TRUE(origin_allowed("http://Example.com", "example.com:80", {}));
  EXPECT_TRUE(origin_allowed("https://example.com", "example.com", {}));
  EXPECT_TRUE(origin_allowed("http://[::1]:8000", "[::1]:8000", {}));
  EXPECT_FALSE(origin_allowed("http://evil.example:8000", "127.0.0.1:8000", {}));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:9000", "127.0.0.1:8000", {}));
  EXPECT_FALSE(origin_allowed("https://127.0.0.1", "127.0.0.1:8000", {}));
  EXPECT_FALSE(origin_allowed("null", "127.0.0.1:8000", {}));
  EXPECT_TRUE(origin_allowed("https://ops.example", "127.0.0.1:8000", {"https://ops.example"}));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:8000", "127.0.0.1:8000", {"https://ops.example"}));
  EXPECT_TRUE(origin_allowed("http://anything", "127.0.0.1:8000", {"*"}));
}

TEST(AuthPolicyTest, ChecksSchemeAndCredentials) {
  const server::detail::AuthPolicy none("", "", "");
  EXPECT_FALSE(none.required());
  EXPECT_TRUE(none.authorized(""));
  const server::detail::AuthPolicy bearer("tok", "ignored", "x");
  EXPECT_TRUE(bearer.required());
  EXPECT_TRUE(bearer.authorized("Bearer tok"));
  EXPECT_TRUE(bearer.authorized("bearer   tok"));
  EXPECT_FALSE(bearer.authorized("Bearer tok2"));
  EXPECT_FALSE(bearer.authorized("Basic tok"));
  EXPECT_FALSE(bearer.authorized("tok"));
  EXPECT_EQ(bearer.challenge(), "Bearer realm=\"resync-mon\"");
  const server::detail::AuthPolicy basic("", "ops", "pw");
  EXPECT_TRUE(basic.authorized("Basic b3BzOnB3"));  // "ops:pw"
  EXPECT_FALSE(basic.authorized("Basic b3BzOnB4"));
  EXPECT_EQ(basic.challenge(), "Basic realm=\"resync-mon\", charset=\"UTF-8\"");
}

TEST(AuthPolicyTest, BearerTokenGuardsEverythingButLiveness) {
  server::HttpServerOptions o;
  o.policies.auth_token = "tok-9f8e7d6c5b4a";
  TestServer s(test::test_config("1s", "1m"), o);
  s.start(false);
  for (const char* path :
       {"/api/monitoring/current", "/metrics", "/monitoring", "/api/monitoring/ws", "/nope"}) {
    const auto r = http_get(s.url(path));
    expect_json_error(r, 401, "authentication required");
    EXPECT_EQ(r.headers.count("www-authenticate") ? r.headers.at("www-authenticate") : "",
              "Bearer realm=\"resync-mon\"")
        << path;
  }
  expect_json_error(http_get(s.url("/metrics"), {{"Authorization", "Bearer tok-9f8e7d6c5b4"}}), 401,
                    "authentication");
  expect_json_error(
      http_get(s.url("/metrics"), {{"Authorization", "Basic dG9rLTlmOGU3ZDZjNWI0YQ=="}}), 401,
      "authentication");
  EXPECT_EQ(http_get(s.url("/metrics"), {{"Authorization", "Bearer tok-9f8e7d6c5b4a"}}).status,
            200);
  EXPECT_EQ(
      http_get(s.url("/api/monitoring/current"), {{"Authorization", "bearer tok-9f8e7d6c5b4a"}})
          .status,
      200);
  EXPECT_EQ(http_get(s.url("/health")).status, 200);
}

TEST(AuthPolicyTest, BasicAuthGuardsEverythingButLivenessAndLeaksNoSecret) {
  std::string logged;
  LogSink previous =
      set_log_sink([&logged](LogLevel, std::string_view line) { logged.append(line) += '\n'; });
  server::HttpServerOptions o;
  o.policies.auth_user = "ops";
  o.policies.auth_password = "pa55-Wd-31337";
  {
    TestServer s(test::test_config("200ms", "1m"), o);
    s.start();
    const auto denied = http_get(s.url("/api/monitoring/current"));
    expect_json_error(denied, 401, "authentication required");
    EXPECT_EQ(denied.headers.at("www-authenticate"),
              "Basic realm=\"resync-mon\", charset=\"UTF-8\"");
    // "ops:pa55-Wd-31337" and a wrong password.
    const std::map<std::string, std::string> good{
        {"Authorization", "Basic b3BzOnBhNTUtV2QtMzEzMzc="}};
    expect_json_error(
        http_get(s.url("/metrics"), {{"Authorization", "Basic b3BzOnBhNTUtV2QtMzEzMzg="}}), 401,
        "authentication");
    // Documents with a sample in them, so a leaked secret would have somewhere to be.
    ASSERT_TRUE(test::eventually([&] { return s.monitor.store().appended() >= 1; }));
    std::string served;
    for (const char* path :
         {"/api/monitoring/current", "/api/monitoring/history", "/api/monitoring/alerts",
          "/api/monitoring/health", "/metrics", "/monitoring", "/nope"}) {
      const auto r = http_get(s.url(path), good);
      EXPECT_NE(r.status, 401) << path;
      served += r.body;
    }
    served += http_get(s.url("/health")).body;
    EXPECT_THAT(served, testing::Not(testing::HasSubstr("pa55-Wd-31337")));
    EXPECT_THAT(served, testing::Not(testing::HasSubstr("b3BzOnBhNTUtV2QtMzEzMzc")));
  }
  set_log_sink(std::move(previous));
  EXPECT_THAT(logged, testing::Not(testing::HasSubstr("pa55-Wd-31337")));
}

}  // namespace
}  // namespace resync

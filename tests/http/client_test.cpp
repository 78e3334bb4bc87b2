// SPDX-License-Identifier: MIT
// The client on its own, as the host uses it; the collectors' tests cover it again through the
// plugins (TLS against the TWS stand-in in tws_test, every fault through the api plugin).
#include "resync/http/client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "http_targets.hpp"

namespace resync::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::HasSubstr;

HttpOptions with_timeout(std::chrono::milliseconds timeout) {
  HttpOptions o;
  o.timeout = timeout;
  return o;
}

// The HttpError `url` fails with; fails the test when it answers.
HttpError error_of(const std::string& url, const HttpOptions& options) {
  try {
    const HttpResponse r = http_get(url, options);
    ADD_FAILURE() << url << " answered " << r.status;
  } catch (const HttpError& e) {
    return e;
  }
  return HttpError(HttpError::Kind::kProtocol, "");
}

TEST(HttpClientTest, ChecksUrlsAndShowsThemWithoutCredentials) {
  EXPECT_EQ(check_url("http://127.0.0.1:8000/api"), "");
  EXPECT_EQ(check_url("https://tws.example:31116"), "");
  EXPECT_EQ(check_url("ftp://example.com/"), "expected an http:// or https:// URL");
  EXPECT_EQ(check_url("http:///path"), "the URL has no host");
  EXPECT_EQ(display_url("https://user:pa55@tws.example:31116/twsd"),
            "https://tws.example:31116/twsd");
  EXPECT_THROW(http_get("example.com/metrics", {}), std::invalid_argument);
}

TEST(HttpClientTest, ReturnsEveryStatusWithItsBody) {
  test::Nginx nginx;
  nginx.write_www("metrics", "up 1\n");
  const HttpResponse ok = http_get(nginx.url("/metrics"), {});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "up 1\n");
  EXPECT_GT(ok.elapsed_ms, 0);
  const HttpResponse failed = http_get(nginx.url("/fail"), {});
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(failed.reason, "Service Temporarily Unavailable");  // as nginx words it
  EXPECT_EQ(http_get(nginx.url("/private/"), {}).status, 401);
  HttpOptions bearer;
  bearer.bearer_token = "s3cret";
  EXPECT_NE(http_get(nginx.url("/private/"), bearer).status, 401);
}

TEST(HttpClientTest, PostsABodyWithinTheDeadline) {
  test::Nginx nginx;
  const HttpResponse ok = http_post(nginx.url("/ok"), R"({"a":1})", "application/json", {});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "ok\n");
  EXPECT_EQ(http_post(nginx.url("/fail"), "{}", "application/json", {}).status, 503);
  EXPECT_THROW(http_post("example.com/hook", "{}", "application/json", {}), std::invalid_argument);

  // A peer that never reads: the body fills the socket buffers and the send times out.
  test::Blackhole hang;
  const std::string url = "http://127.0.0.1:" + std::to_string(hang.port()) + "/hook";
  const std::string big(8 << 20, 'x');
  const auto started = Clock::now();
  try {
    http_post(url, big, "text/plain", with_timeout(300ms));
    ADD_FAILURE() << "a peer that never reads accepted the body";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::kTimeout);
    EXPECT_EQ(std::string(e.what()), "POST " + url + ": timed out after 300 ms");
  }
  EXPECT_LT(Clock::now() - started, 1000ms);  // the 300 ms timeout, with room for a slow machine
}

TEST(HttpClientTest, RefusesBodiesOverTheLimit) {
  test::Nginx nginx;
  nginx.write_www("big.txt", std::string(10000, 'x'));
  HttpOptions small;
  small.max_body_bytes = 4096;
  const HttpError e = error_of(nginx.url("/big.txt"), small);
  EXPECT_EQ(e.kind(), HttpError::Kind::kTooLarge);
  EXPECT_THAT(e.what(), HasSubstr("response larger than 4096 bytes"));
  small.max_body_bytes = 10000;
  EXPECT_EQ(http_get(nginx.url("/big.txt"), small).body.size(), 10000u);
}

TEST(HttpClientTest, TellsRefusedFromTimedOutWithinTheDeadline) {
  const std::string refused = "http://127.0.0.1:" + std::to_string(test::free_port()) + "/";
  HttpError e = error_of(refused, with_timeout(500ms));
  EXPECT_EQ(e.kind(), HttpError::Kind::kConnect);
  EXPECT_EQ(std::string(e.what()), "GET " + refused + ": connection refused");

  test::Blackhole hang;
  const auto started = Clock::now();
  e = error_of("http://127.0.0.1:" + std::to_string(hang.port()) + "/", with_timeout(300ms));
  EXPECT_EQ(e.kind(), HttpError::Kind::kTimeout);
  EXPECT_THAT(e.what(), HasSubstr("timed out after 300 ms"));
  EXPECT_LT(Clock::now() - started, 1000ms);  // the 300 ms timeout, with room for a slow machine
}

TEST(HttpClientTest, CutOffBodiesAreErrorsNotShortAnswers) {
  test::TruncatingServer length(test::TruncatingServer::Mode::kContentLength);
  HttpError e = error_of(length.url(), with_timeout(1000ms));
  EXPECT_EQ(e.kind(), HttpError::Kind::kProtocol);
  EXPECT_THAT(e.what(), HasSubstr("connection closed after 64 of 4096 bytes"));

  test::TruncatingServer chunked(test::TruncatingServer::Mode::kChunked);
  e = error_of(chunked.url(), with_timeout(1000ms));
  EXPECT_EQ(e.kind(), HttpError::Kind::kProtocol);
  EXPECT_THAT(e.what(), HasSubstr("connection closed before the end of the chunked body"));
}

}  // namespace
}  // namespace resync::http

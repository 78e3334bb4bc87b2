// SPDX-License-Identifier: MIT
#include "document.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "server_test_util.hpp"

namespace resync {
namespace {

using server::detail::Document;
using test::header;
using test::http_get;
using test::http_request;
using test::parse_object;
using test::TestServer;

constexpr const char* kDocumentPaths[] = {"/api/monitoring/current", "/api/monitoring/history",
                                          "/metrics", "/api/monitoring/history?minutes=5"};

TEST(DocumentTest, ReadsAcceptEncoding) {
  using server::detail::accepts_gzip;
  for (const char* yes : {"gzip", "gzip, deflate, br", "br;q=1.0, GZIP;q=0.5", "x-gzip", "*",
                          "gzip;q=0.001", "gzip;q=0, x-gzip"}) {
    EXPECT_TRUE(accepts_gzip(yes)) << yes;
  }
  for (const char* no : {"", "identity", "deflate, br", "gzip;q=0", "gzip; q=0.000, deflate",
                         "*, gzip;q=0", "*;q=0", "gzipped"}) {
    EXPECT_FALSE(accepts_gzip(no)) << no;
  }
}

TEST(DocumentTest, MatchesIfNoneMatchLists) {
  using server::detail::etag_matches;
  EXPECT_TRUE(etag_matches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches(" * ", "\"abc\""));
  EXPECT_FALSE(etag_matches("\"abcd\"", "\"abc\""));
  EXPECT_FALSE(etag_matches("abc", "\"abc\""));
  EXPECT_FALSE(etag_matches("", "\"abc\""));
}

TEST(DocumentTest, GzipRoundTripsThroughAnIndependentInflater) {
  std::string body;
  for (int i = 0; i < 2000; ++i) body += "{\"sample\":" + std::to_string(i) + ",\"value\":0.5},";
  const std::string zipped = server::detail::gzip(body);
  EXPECT_LT(zipped.size(), body.size() / 4);
  EXPECT_EQ(test::gunzip(zipped), body);
  EXPECT_EQ(test::gunzip(server::detail::gzip("")), "");
}

TEST(DocumentTest, ETagFollowsTheBytesAndNamesTheEncoding) {
  const Document a("application/json", R"({"a":1})", 1, false);
  const Document b("application/json", R"({"a":1})", 7, true);
  const Document c("application/json", R"({"a":2})", 1, false);
  EXPECT_THAT(a.etag(), testing::MatchesRegex("\"[0-9a-f]+-[0-9a-f]+\""));
  EXPECT_EQ(a.etag(), b.etag());
  EXPECT_NE(a.etag(), c.etag());
  EXPECT_EQ(a.body(), R"({"a":1})");
  EXPECT_EQ(a.generation(), 1u);
  EXPECT_EQ(test::gunzip(std::string(a.gzip_body())), a.body());
}

// The router asks this before answering on the loop: a large body is compressed on the pool.
TEST(DocumentTest, SaysWhenAnAnswerWouldCompress) {
  const Document d("application/json", std::string(100000, 'x'), 1, true);
  std::string gzip_etag = d.etag();
  gzip_etag.insert(gzip_etag.size() - 1, "-gzip");
  EXPECT_FALSE(d.would_compress("identity", ""));
  EXPECT_FALSE(d.would_compress("gzip", gzip_etag)) << "a 304 compresses nothing";
  EXPECT_TRUE(d.would_compress("gzip", ""));
  EXPECT_TRUE(d.would_compress("gzip", d.etag()));
  EXPECT_EQ(test::gunzip(std::string(d.gzip_body())), d.body());
  EXPECT_FALSE(d.would_compress("gzip", "")) << "compressed once, kept";
}

TEST(DocumentTest, ServesGzipToClientsThatAcceptIt) {
  TestServer s(test::test_config("1s", "10m"));
  test::prefill(s.monitor, 600);
  s.start(false);
  for (const char* path : kDocumentPaths) {
    const auto plain = http_get(s.url(path));
    ASSERT_EQ(plain.status, 200) << path;
    EXPECT_EQ(header(plain, "content-encoding"), "") << path;
    EXPECT_EQ(header(plain, "vary"), "Accept-Encoding") << path;
    const auto zipped = http_get(s.url(path), {{"Accept-Encoding", "gzip, deflate"}});
    ASSERT_EQ(zipped.status, 200) << path;
    EXPECT_EQ(header(zipped, "content-encoding"), "gzip") << path;
    EXPECT_EQ(header(zipped, "vary"), "Accept-Encoding") << path;
    EXPECT_EQ(header(zipped, "content-type"), header(plain, "content-type")) << path;
    EXPECT_EQ(header(zipped, "content-length"), std::to_string(zipped.body.size())) << path;
    EXPECT_LT(zipped.body.size(), plain.body.size()) << path;
    EXPECT_EQ(test::gunzip(zipped.body), plain.body) << path;
    EXPECT_NE(header(zipped, "etag"), header(plain, "etag")) << path;
    const auto refused = http_get(s.url(path), {{"Accept-Encoding", "gzip;q=0, identity"}});
    EXPECT_EQ(header(refused, "content-encoding"), "") << path;
    EXPECT_EQ(refused.body, plain.body) << path;
  }
}

TEST(DocumentTest, AnswersIfNoneMatchWith304AndNoBody) {
  TestServer s(test::test_config("1s", "10m"));
  test::prefill(s.monitor, 30);
  s.start(false);
  for (const char* path : kDocumentPaths) {
    const auto first = http_get(s.url(path));
    const std::string etag = header(first, "etag");
    ASSERT_THAT(etag, testing::MatchesRegex("\"[0-9a-f]+-[0-9a-f]+\"")) << path;
    EXPECT_EQ(header(first, "cache-control"), "no-cache") << path;
    for (const std::string& if_none_match :
         {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
      const auto again = http_get(s.url(path), {{"If-None-Match", if_none_match}});
      EXPECT_EQ(again.status, 304) << path << " " << if_none_match;
      EXPECT_TRUE(again.body.empty()) << path;
      EXPECT_EQ(header(again, "etag"), etag) << path;
      EXPECT_EQ(header(again, "vary"), "Accept-Encoding") << path;
      EXPECT_EQ(header(again, "content-length"), "") << path;
    }
    EXPECT_EQ(http_request("HEAD", s.url(path), {{"If-None-Match", etag}}).status, 304) << path;
    const auto other = http_get(s.url(path), {{"If-None-Match", "\"other\""}});
    EXPECT_EQ(other.status, 200) << path;
    EXPECT_EQ(other.body, first.body) << path;
    // The plain ETag does not stand for the gzip variant, and the other way round.
    const auto zipped =
        http_get(s.url(path), {{"Accept-Encoding", "gzip"}, {"If-None-Match", etag}});
    EXPECT_EQ(zipped.status, 200) << path;
    EXPECT_EQ(header(zipped, "content-encoding"), "gzip") << path;
    const std::string gzip_etag = header(zipped, "etag");
    EXPECT_EQ(
        http_get(s.url(path), {{"Accept-Encoding", "gzip"}, {"If-None-Match", gzip_etag}}).status,
        304)
        << path;
    EXPECT_EQ(http_get(s.url(path), {{"If-None-Match", gzip_etag}}).status, 200) << path;
  }
  // A new sample makes new documents, which the old ETags no longer match.
  const std::string old_etag = header(http_get(s.url("/api/monitoring/history")), "etag");
  // prefill() stamped the grid points before now, so now's grid point comes next.
  const int64_t interval = s.monitor.config().interval.count();
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  s.monitor.sample_now(now / interval * interval);
  const auto fresh = http_get(s.url("/api/monitoring/history"), {{"If-None-Match", old_etag}});
  EXPECT_EQ(fresh.status, 200);
  EXPECT_EQ(parse_object(fresh.body)->getValue<int>("sample_count"), 31);
  EXPECT_NE(header(fresh, "etag"), old_etag);
}

TEST(DocumentTest, NotModifiedKeepsTheConnectionUsable) {
  TestServer s(test::test_config("1s", "1m"));
  s.start(false);
  const std::string etag = header(http_get(s.url("/metrics")), "etag");
  const auto answers =
      test::raw_http(s.http.port(),
                     "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: " + etag +
                         "\r\n\r\nGET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                     2);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].status, 304);
  EXPECT_EQ(answers[1].status, 200);
  EXPECT_EQ(answers[1].body, R"({"status":"ok"})");
}

TEST(DocumentTest, LargeDocumentsKeepTheConnectionUsable) {
  TestServer s(test::test_config("1s", "10m"));
  test::prefill(s.monitor, 600);
  s.start(false);
  // Over 16 KiB, so it goes out with sendfile(2); then a second request on the same connection.
  Poco::Net::HTTPClientSession session("127.0.0.1", s.http.port());
  session.setKeepAlive(true);
  for (const char* path : {"/api/monitoring/history", "/api/monitoring/current",
                           "/api/monitoring/history?minutes=10"}) {
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    const std::string body(std::istreambuf_iterator<char>(in), {});
    ASSERT_EQ(response.getStatus(), 200) << path;
    EXPECT_EQ(static_cast<size_t>(response.getContentLength64()), body.size()) << path;
    auto doc = parse_object(body);
    if (std::string(path) != "/api/monitoring/current") {
      EXPECT_GT(body.size(), 16u * 1024) << path;
      EXPECT_EQ(doc->getValue<int>("sample_count"), 600) << path;
    }
  }
  const auto head = http_request("HEAD", s.url("/api/monitoring/history"));
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

}  // namespace
}  // namespace resync

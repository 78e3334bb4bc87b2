// SPDX-License-Identifier: MIT
// The event loop writing answers itself, over real sockets: bytes that cannot start an HTTP request
// (a real TLS client on the plain port, binary garbage) are refused at once, a large answer to a
// client that reads slowly arrives whole, and a client that stops reading is dropped at the
// request deadline while everyone else is served.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "server_test_util.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::RawClient;
using test::TestServer;

// A loopback connection whose receive buffer is `receive_buffer` bytes (set before connect, so
// the window stays small).
int connect_small(uint16_t port, int receive_buffer) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until `bytes` have arrived, the peer closes or `timeout` passes, `chunk` bytes at a time
// with `pause` between reads.
std::string read_slowly(int fd, size_t bytes, size_t chunk, std::chrono::milliseconds pause,
                        std::chrono::milliseconds timeout) {
  std::string out;
  std::vector<char> buffer(chunk);
  const auto until = Clock::now() + timeout;
  while (out.size() < bytes && Clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) break;
    out.append(buffer.data(), static_cast<size_t>(n));
    std::this_thread::sleep_for(pause);
  }
  return out;
}

size_t content_length(const std::string& response) {
  const size_t at = response.find("Content-Length: ");
  return at == std::string::npos ? 0 : std::stoul(response.substr(at + 16));
}

TEST(ConnectionIoTest, RealTlsClientOnThePlainPortFailsWithinASecond) {
  TestServer s(test::test_config("10s", "1m"));
  s.start(false);
  Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "",
                                                           Poco::Net::Context::VERIFY_NONE);
  Poco::Net::HTTPSClientSession session("127.0.0.1", s.http.port(), context);
  session.setTimeout(Poco::Timespan(10, 0));  // longer than the old 408 wait
  const auto started = Clock::now();
  EXPECT_ANY_THROW({
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/health",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response);
  });
  EXPECT_LT(Clock::now() - started, 1s);
  EXPECT_EQ(test::http_get(s.url("/health")).status, 200);
}

TEST(ConnectionIoTest, BytesThatCannotStartARequestGet400AtOnce) {
  TestServer s(test::test_config("10s", "1m"));
  s.start(false);
  // The first bytes of a TLS 1.2 ClientHello record, then binary garbage, then a method too long.
  const std::string tls("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  const std::string garbage("\x00\xff\x7f\x80", 4);
  const std::string long_method(40, 'G');
  for (const auto& [bytes, fragment] : {std::pair{tls, "a TLS handshake on a plain HTTP port"},
                                        std::pair{garbage, "malformed request line"},
                                        std::pair{long_method, "malformed request line"}}) {
    RawClient c(s.http.port());
    ASSERT_TRUE(c.send(bytes));
    const auto started = Clock::now();
    const std::string answer = c.read_until_close(5s);
    EXPECT_LT(Clock::now() - started, 1s) << fragment;
    EXPECT_THAT(answer, testing::StartsWith("HTTP/1.1 400 Bad Request\r\n"));
    EXPECT_THAT(answer, testing::HasSubstr(fragment));
    EXPECT_TRUE(c.closed()) << fragment;
  }
  // A request line still arriving byte by byte is not refused early.
  RawClient slow(s.http.port());
  for (const char ch : std::string("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) {
    ASSERT_TRUE(slow.send(std::string(1, ch)));
  }
  EXPECT_THAT(slow.read_response(3s), testing::StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST(ConnectionIoTest, SlowReaderGetsTheWholeLargeDocument) {
  TestServer s(test::test_config("1s", "4h"));
  test::prefill(s.monitor, 14400);
  s.start(false);
  const std::string expected = test::http_get(s.url("/api/monitoring/history")).body;
  // Larger than what the server's send buffer and our receive buffer hold together, so the loop
  // must stop at a partial write and resume on EPOLLOUT.
  ASSERT_GT(expected.size(), 768u * 1024);
  const int fd = connect_small(s.http.port(), 4096);
  ASSERT_GE(fd, 0);
  const std::string request =
      "GET /api/monitoring/history HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
      "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string got = read_slowly(fd, 1024, 1024, 0ms, 5s);
  const size_t head = got.find("\r\n\r\n");
  ASSERT_NE(head, std::string::npos);
  const size_t total = head + 4 + content_length(got);
  // While this client drains slowly, others are answered at once: no thread waits on it.
  const auto started = Clock::now();
  EXPECT_EQ(test::http_get(s.url("/health")).status, 200);
  EXPECT_LT(Clock::now() - started, 1s);
  got += read_slowly(fd, total - got.size(), 65536, 1ms, 20s);
  ASSERT_GE(got.size(), total);
  EXPECT_EQ(got.substr(head + 4, total - head - 4), expected);
  // The pipelined request behind it is answered once the large one is out.
  got += read_slowly(fd, total + 100, 4096, 0ms, 3s);
  EXPECT_THAT(got.substr(total), testing::StartsWith("HTTP/1.1 200 OK\r\n"));
  ::close(fd);
}

TEST(ConnectionIoTest, ClientThatStopsReadingIsDroppedAtTheRequestDeadline) {
  server::HttpServerOptions o;
  o.request_timeout = 500ms;
  TestServer s(test::test_config("1s", "4h"), o);
  test::prefill(s.monitor, 14400);
  s.start(false);
  // Rendered and cached first, so the deadline below runs on the write, not on the render.
  ASSERT_EQ(test::http_get(s.url("/api/monitoring/history")).status, 200);
  const int fd = connect_small(s.http.port(), 4096);
  ASSERT_GE(fd, 0);
  const std::string request = "GET /api/monitoring/history HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  ASSERT_TRUE(test::eventually([&] { return s.http.connections() == 1; }));
  const auto started = Clock::now();
  EXPECT_TRUE(test::eventually([&] { return s.http.connections() == 0; }, 5s));
  EXPECT_LT(Clock::now() - started, 3s);
  EXPECT_EQ(test::http_get(s.url("/health")).status, 200);
  ::close(fd);
}

}  // namespace
}  // namespace resync

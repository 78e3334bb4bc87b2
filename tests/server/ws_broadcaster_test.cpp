// SPDX-License-Identifier: MIT
#include <Poco/Net/NetException.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "server_test_util.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using Poco::Net::WebSocket;
using test::eventually;
using test::RawWsClient;
using test::TestServer;
using test::WsClient;

double correlation_ids(const std::string& document) {
  return test::number_at(document, "system", "correlation_ids");
}

TEST(WsBroadcasterTest, SendsCurrentOnConnectThenOnePushPerSample) {
  TestServer s(test::test_config("200ms", "1m"));
  s.start();
  WsClient client(s.http.port());
  const auto first = client.receive(150ms);
  ASSERT_TRUE(first) << "no document on connect";
  EXPECT_EQ(first->opcode(), WebSocket::FRAME_OP_TEXT);
  test::expect_keys(test::parse_object(first->payload), {"status", "api", "host", "collectors"},
                    "push");

  const uint64_t before = s.monitor.store().appended();
  std::vector<double> ids{correlation_ids(first->payload)};
  const auto until = std::chrono::steady_clock::now() + 1100ms;
  while (std::chrono::steady_clock::now() < until) {
    if (auto f = client.receive(300ms)) ids.push_back(correlation_ids(f->payload));
  }
  const uint64_t samples = s.monitor.store().appended() - before;
  // The sampler's own worst gap in the same span: a loaded machine delays or skips ticks for
  // everyone, and only a fast client waiting on the slow one shows more than that.
  const StoreSnapshot grid = s.monitor.store().snapshot(static_cast<size_t>(samples));
  int64_t grid_gap_ms = 100;
  for (size_t k = 1; k < grid.rows; ++k)
    grid_gap_ms = std::max(grid_gap_ms, grid.timestamps_ms[k] - grid.timestamps_ms[k - 1]);
  ASSERT_GE(samples, 4u);
  // Every sample is pushed once: no duplicates, none skipped beyond the one racing the deadline.
  EXPECT_GE(ids.size() - 1, samples - 1);
  EXPECT_LE(ids.size() - 1, samples + 1);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end()) << "a document was pushed twice";
}

TEST(WsBroadcasterTest, RendersForPushesOnlyWhileClientsAreConnected) {
  TestServer s(test::test_config("100ms", "1m"));
  s.start();
  const uint64_t first = s.monitor.store().appended();
  ASSERT_TRUE(eventually([&] { return s.monitor.store().appended() >= first + 3; }));
  EXPECT_EQ(s.http.documents_rendered(), 0u);
  {
    WsClient client(s.http.port());
    ASSERT_TRUE(client.receive(500ms));
    const uint64_t before = s.monitor.store().appended();
    for (int push = 1; push <= 3; ++push) ASSERT_TRUE(client.receive(1s)) << "push " << push;
    // One /current per sample, rendered off the sampler thread for the push (plus the one on
    // connect).
    EXPECT_LE(s.http.documents_rendered(), s.monitor.store().appended() - before + 2);
    EXPECT_GE(s.http.documents_rendered(), 4u);
  }
  ASSERT_TRUE(eventually([&] { return s.http.websocket_clients() == 0; }));
  const uint64_t rendered = s.http.documents_rendered();
  const uint64_t now = s.monitor.store().appended();
  ASSERT_TRUE(eventually([&] { return s.monitor.store().appended() >= now + 3; }));
  EXPECT_EQ(s.http.documents_rendered(), rendered);
}

TEST(WsBroadcasterTest, AnswersPingAndClose) {
  TestServer s(test::test_config("10s", "1m"));
  s.start(false);
  WsClient client(s.http.port());
  ASSERT_TRUE(client.receive(500ms));
  client.socket->sendFrame("hi", 2, WebSocket::FRAME_FLAG_FIN | WebSocket::FRAME_OP_PING);
  auto pong = client.receive(1s, false);
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode(), WebSocket::FRAME_OP_PONG);
  EXPECT_EQ(pong->payload, "hi");
  client.socket->shutdown(WebSocket::WS_NORMAL_CLOSE);
  auto close = client.receive(1s);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode(), WebSocket::FRAME_OP_CLOSE);
  ASSERT_EQ(close->payload.size(), 2u);
  EXPECT_EQ((static_cast<unsigned char>(close->payload[0]) << 8) |
                static_cast<unsigned char>(close->payload[1]),
            1000);
  EXPECT_TRUE(eventually([&] { return s.http.websocket_clients() == 0; }));
}

TEST(WsBroadcasterTest, RefusesClientsPastTheLimitWith503) {
  server::HttpServerOptions o;
  o.max_ws_clients = 2;
  TestServer s(test::test_config("10s", "1m"), o);
  s.start(false);
  auto a = std::make_unique<WsClient>(s.http.port());
  WsClient b(s.http.port());
  ASSERT_TRUE(eventually([&] { return s.http.websocket_clients() == 2; }));
  const auto refused = test::raw_http(s.http.port(), test::upgrade_request(s.http.port()));
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.body, R"j({"error":"too many WebSocket clients (limit 2)","status":503})j");
  // A slot is free again once a client leaves.
  a.reset();
  ASSERT_TRUE(eventually([&] { return s.http.websocket_clients() == 1; }));
  WsClient c(s.http.port());
  EXPECT_TRUE(c.receive(500ms));
}

TEST(WsBroadcasterTest, ChecksOrigin) {
  TestServer s(test::test_config("10s", "1m"));
  s.start(false);
  const std::string host = "127.0.0.1:" + std::to_string(s.http.port());
  const auto refused = test::raw_http(
      s.http.port(), test::upgrade_request(s.http.port(), "Origin: http://evil.example\r\n"));
  EXPECT_EQ(refused.status, 403);
  EXPECT_THAT(refused.body,
              testing::HasSubstr("WebSocket origin not allowed: http://evil.example"));
  WsClient same(s.http.port(), {{"Origin", "http://" + host}});
  EXPECT_TRUE(same.receive(500ms));
  EXPECT_EQ(test::http_get(s.url("/api/monitoring/ws")).status, 400);

  server::HttpServerOptions o;
  o.policies.allowed_origins = {"https://ops.example"};
  TestServer listed(test::test_config("10s", "1m"), o);
  listed.start(false);
  WsClient ops(listed.http.port(), {{"Origin", "https://ops.example"}});
  EXPECT_TRUE(ops.receive(500ms));
  const std::string same_origin =
      "Origin: http://127.0.0.1:" + std::to_string(listed.http.port()) + "\r\n";
  EXPECT_EQ(
      test::raw_http(listed.http.port(), test::upgrade_request(listed.http.port(), same_origin))
          .status,
      403);
}

TEST(WsBroadcasterTest, PingsSilentClientsAndDropsUnresponsiveOnes) {
  server::HttpServerOptions o;
  o.ws_ping_interval = 100ms;
  o.ws_idle_timeout = 400ms;
  TestServer s(test::test_config("10s", "1m"), o);
  s.start(false);
  WsClient alive(s.http.port());
  RawWsClient mute(s.http.port());
  ASSERT_TRUE(eventually([&] { return s.http.websocket_clients() == 2; }));
  // `alive` answers the pings it reads; `mute` never answers.
  const auto until = std::chrono::steady_clock::now() + 900ms;
  int frames = 0;
  while (std::chrono::steady_clock::now() < until) frames += alive.receive(100ms).has_value();
  EXPECT_TRUE(eventually([&] { return s.http.websocket_clients() == 1; }));
  EXPECT_EQ(s.http.websocket_clients_dropped(), 1u);
  EXPECT_TRUE(mute.closed_by_server());
  EXPECT_GE(frames, 1);  // the document sent on connect
}

// The test holds the clock: it takes each sample itself, and each fast client must get that
// sample's frame before the next, while the client that never reads fills its socket, then its
// queue, and is dropped. A loop that waited on the slow client would stop serving the fast ones
// once its socket was full; here they are served before the drop and after it.
TEST(WsBroadcasterTest, SlowClientIsDroppedWithoutDelayingOthers) {
  server::HttpServerOptions o;
  o.ws_max_queued_frames = 2;
  o.ws_send_buffer_bytes = 4096;
  TestServer s(test::test_config("1s", "1h"), o);
  s.start(false);
  RawWsClient slow(s.http.port(), 2048);  // never reads
  constexpr size_t kFast = 3;
  std::vector<std::unique_ptr<WsClient>> fast;
  for (size_t i = 0; i < kFast; ++i) fast.push_back(std::make_unique<WsClient>(s.http.port()));
  ASSERT_TRUE(eventually([&] { return s.http.websocket_clients() == kFast + 1; }));

  const int64_t first = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  // Takes the sample of second `first + k`; true once every fast client has its frame.
  auto push = [&](int64_t k) {
    s.monitor.sample_now((first + k) * 1000);
    const std::string stamp = "\"timestamp\":" + std::to_string(first + k);
    for (auto& client : fast) {
      for (;;) {
        const auto frame = client->receive(10s);
        if (!frame) return false;
        if (frame->payload.find(stamp) != std::string::npos) break;
      }
    }
    return true;
  };
  int64_t k = 0;
  for (; k < 200 && s.http.websocket_clients_dropped() == 0; ++k) {
    ASSERT_TRUE(push(k)) << "push " << k << ": a fast client did not get it while the slow "
                         << "client was held";
  }
  ASSERT_EQ(s.http.websocket_clients_dropped(), 1u) << "not dropped after " << k << " pushes";
  EXPECT_GT(k, static_cast<int64_t>(o.ws_max_queued_frames)) << "dropped before its queue filled";
  RecordProperty("pushes_until_drop", static_cast<int>(k));
  EXPECT_TRUE(eventually([&] { return slow.closed_by_server(); }));
  for (const int64_t end = k + 3; k < end; ++k) ASSERT_TRUE(push(k)) << "push " << k;
  EXPECT_EQ(s.http.websocket_clients(), kFast);
}

TEST(WsBroadcasterTest, StopSendsCloseGoingAway) {
  TestServer s(test::test_config("10s", "1m"));
  s.start(false);
  WsClient client(s.http.port());
  ASSERT_TRUE(client.receive(500ms));
  const auto started = std::chrono::steady_clock::now();
  s.http.stop();
  // Not the pool's 10 s idle time; room for a slow machine.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  auto close = client.receive(1s);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode(), WebSocket::FRAME_OP_CLOSE);
  ASSERT_GE(close->payload.size(), 2u);
  EXPECT_EQ((static_cast<unsigned char>(close->payload[0]) << 8) |
                static_cast<unsigned char>(close->payload[1]),
            1001);
}

}  // namespace
}  // namespace resync

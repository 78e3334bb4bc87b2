// SPDX-License-Identifier: MIT
#include "document_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "resync/state_file.hpp"
#include "server_test_util.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using server::detail::DocumentCache;
using server::detail::View;
using test::http_get;
using test::TestServer;

TEST(DocumentCacheTest, RendersOnlyWhenAskedAndOncePerSample) {
  Monitor monitor(test::test_config("1s", "1m"));
  test::prefill(monitor, 3);
  DocumentCache cache(monitor);
  EXPECT_EQ(cache.renders(), 0u);
  const auto first = cache.get(View::kCurrent);
  EXPECT_EQ(cache.renders(), 1u);
  EXPECT_EQ(cache.get(View::kCurrent), first);
  EXPECT_EQ(cache.renders(), 1u);
  cache.get(View::kHistory);
  cache.get(View::kMetrics);
  EXPECT_EQ(cache.renders(), 3u);

  // Two samples nobody asked about cost nothing; the next request renders once, for the newest.
  cache.invalidate();
  cache.invalidate();
  EXPECT_EQ(cache.renders(), 3u);
  const auto second = cache.get(View::kCurrent);
  EXPECT_NE(second, first);
  EXPECT_EQ(second->generation(), 2u);
  EXPECT_EQ(cache.get(View::kCurrent), second);
  EXPECT_EQ(cache.renders(), 4u);
  EXPECT_EQ(cache.get(View::kMetrics)->generation(), 2u);
  EXPECT_EQ(cache.renders(), 5u);
}

// A --url reader decodes /api/monitoring/window as it would the state file.
TEST(DocumentCacheTest, WindowIsTheWholeStoreInTheStateFileFormat) {
  Monitor monitor(test::test_config("1s", "1m"));
  test::prefill(monitor, 3);
  DocumentCache cache(monitor);
  const auto window = cache.get(View::kWindow);
  EXPECT_EQ(cache.get(View::kWindow), window) << "cached per sample";
  const SavedState saved = decode_state(window->body());
  const MonitorSnapshot live = monitor.snapshot();
  EXPECT_EQ(saved.rows.rows, 3u);
  EXPECT_EQ(saved.rows.timestamps_ms, live.store.timestamps_ms);
  EXPECT_EQ(saved.keys.size(), live.keys().size());
  cache.invalidate();
  EXPECT_NE(cache.get(View::kWindow), window);
}

TEST(DocumentCacheTest, ConcurrentRequestersShareOneRender) {
  Monitor monitor(test::test_config("1s", "10m"));
  test::prefill(monitor, 300);
  DocumentCache cache(monitor);
  constexpr int kRequesters = 8;
  for (int round = 0; round < 5; ++round) {
    cache.invalidate();
    const uint64_t before = cache.renders();
    std::atomic<bool> go{false};
    std::vector<std::shared_ptr<const server::detail::Document>> got(kRequesters);
    std::vector<std::thread> threads;
    for (int i = 0; i < kRequesters; ++i) {
      threads.emplace_back([&, i] {
        while (!go) std::this_thread::yield();
        got[static_cast<size_t>(i)] = cache.get(View::kHistory);
      });
    }
    go = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(cache.renders() - before, 1u) << "round " << round;
    for (const auto& d : got) EXPECT_EQ(d, got.front()) << "round " << round;
  }
}

TEST(DocumentCacheTest, WindowsAlertsAndHealthAreRenderedPerCall) {
  Monitor monitor(test::test_config("1s", "1m"));
  test::prefill(monitor, 30);
  DocumentCache cache(monitor);
  const auto a = cache.history_window(12);
  const auto b = cache.history_window(12);
  EXPECT_NE(a, b);
  EXPECT_EQ(a->body(), b->body());
  EXPECT_EQ(a->etag(), b->etag());
  EXPECT_EQ(test::parse_object(std::string(a->body()))->getValue<int>("sample_count"), 12);
  EXPECT_TRUE(test::parse_object(cache.render(View::kAlerts))->has("alerts"));
  EXPECT_TRUE(test::parse_object(cache.render(View::kHealth))->has("samples_collected"));
  EXPECT_EQ(cache.renders(), 4u);
}

TEST(DocumentCacheTest, CachedDocumentsChangeOncePerSample) {
  TestServer s(test::test_config("200ms", "1m"));
  s.start();
  ASSERT_TRUE(test::eventually([&] { return s.monitor.store().appended() >= 1; }));
  const uint64_t first = s.monitor.store().appended();
  std::set<std::string> currents, histories, metrics;
  int requests = 0;
  // As many samples and requests as the judgement needs, however fast the machine serves them.
  const auto deadline = std::chrono::steady_clock::now() + test::kPatience;
  while ((s.monitor.store().appended() - first < 4 || requests <= 50) &&
         std::chrono::steady_clock::now() < deadline) {
    currents.insert(http_get(s.url("/api/monitoring/current")).body);
    histories.insert(http_get(s.url("/api/monitoring/history")).body);
    metrics.insert(http_get(s.url("/metrics")).body);
    ++requests;
  }
  const uint64_t samples = s.monitor.store().appended() - first;
  ASSERT_GE(samples, 4u);
  ASSERT_GT(requests, 50);
  // One document per sample taken during the loop, plus the one current when it began; never
  // one per request (uptime and correlation ids would differ otherwise).
  EXPECT_GE(currents.size(), samples);
  EXPECT_LE(currents.size(), samples + 1);
  EXPECT_GE(histories.size(), samples);
  EXPECT_LE(histories.size(), samples + 1);
  EXPECT_LE(metrics.size(), samples + 1);
}

}  // namespace
}  // namespace resync

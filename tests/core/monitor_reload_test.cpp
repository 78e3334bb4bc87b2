// SPDX-License-Identifier: MIT
// Monitor::reload() with the real plugin loader and the test-only fixture plugin (its
// fixture_calls series counts the calls of one collector object, so a reused collector shows).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "resync/error.hpp"
#include "resync/monitor.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;

Config fixture_config(const std::string& collectors, const std::string& extra = "") {
  return parse_config("interval: 100ms\nwindow: 1m\nplugin_dir: \"" RESYNC_FIXTURE_DIR "\"\n" +
                          extra + "collectors:\n" + collectors,
                      ConfigFormat::kYaml, "reload_test.yaml");
}

double value(const Monitor& m, const std::string& metric, const std::string& instance, size_t row) {
  const auto column = m.layout().find(metric, instance);
  if (!column) return -1;
  return m.store().snapshot().at(*column, row);
}

TEST(MonitorReloadTest, CopiesTheWindowKeepsUnchangedCollectorsAndRemovedHistory) {
  Monitor m(fixture_config("  - {plugin: fixture, name: a}\n  - {plugin: fixture, name: b}\n"));
  m.sample_now(1000);
  m.sample_now(2000);

  const ReloadReport report =
      m.reload(fixture_config("  - {plugin: fixture, name: a}\n  - {plugin: fixture, name: c}\n"));
  EXPECT_THAT(report.added, testing::ElementsAre("c"));
  EXPECT_THAT(report.removed, testing::ElementsAre("b"));
  EXPECT_TRUE(report.changed.empty());
  EXPECT_GT(report.retired_series, 0u);
  ASSERT_EQ(m.store().size(), 2u);
  EXPECT_EQ(value(m, "fixture_calls", "a", 1), 2);
  EXPECT_EQ(value(m, "fixture_calls", "b", 1), 2);  // kept: no new values, history stays
  EXPECT_TRUE(std::isnan(value(m, "fixture_calls", "c", 1)));
  ASSERT_EQ(m.instances().size(), 2u);
  EXPECT_EQ(m.instances()[1].name, "c");

  m.sample_now(3000);
  EXPECT_EQ(value(m, "fixture_calls", "a", 2), 3);  // the same collector object, still counting
  EXPECT_EQ(value(m, "fixture_calls", "c", 2), 1);
  EXPECT_TRUE(std::isnan(value(m, "fixture_calls", "b", 2)));
  // Counted once the caller's part is done too (serve's HTTP server), not by reload() itself.
  EXPECT_EQ(m.snapshot().config.reloads, 0u);
  m.reload_applied();
  EXPECT_EQ(m.snapshot().config.reloads, 1u);
}

TEST(MonitorReloadTest, RefusesABadConfigurationAndChangesNothing) {
  Monitor m(fixture_config("  - {plugin: fixture, name: a}\n"));
  m.sample_now(1000);
  const size_t columns = m.layout().size();
  EXPECT_THROW(
      m.reload(fixture_config("  - {plugin: fixture, name: a}\n",
                              "alerts:\n  - {metric: nobody_has_it, above: {warning: 1}}\n")),
      ConfigError);
  EXPECT_THROW(m.reload(fixture_config("  - {plugin: no_such_plugin}\n")), PluginLoadError);
  EXPECT_EQ(m.layout().size(), columns);
  EXPECT_EQ(m.store().size(), 1u);
  m.sample_now(2000);
  EXPECT_EQ(value(m, "fixture_calls", "a", 1), 2);
  EXPECT_EQ(m.snapshot().config.reloads, 0u);
}

TEST(MonitorReloadTest, CarriesFiringAlertsOverWithoutAnnouncingThemAgain) {
  const std::string rule =
      "alerts:\n  - {metric: fixture_calls, instance: a, above: {warning: 0}}\n";
  Monitor m(fixture_config("  - {plugin: fixture, name: a}\n", rule));
  m.sample_now(1000);
  ASSERT_EQ(m.alerts().active().size(), 1u);
  const size_t events = m.alerts().events().size();

  m.reload(
      fixture_config("  - {plugin: fixture, name: a}\n  - {plugin: fixture, name: b}\n",
                     rule + "  - {metric: fixture_calls, instance: b, above: {warning: 5}}\n"));
  m.sample_now(2000);
  EXPECT_EQ(m.alerts().active().size(), 1u);
  EXPECT_EQ(m.alerts().events().size(), events);
  EXPECT_EQ(m.rules().size(), 2u);
}

TEST(MonitorReloadTest, KeepsSettingsThatNeedARestart) {
  Monitor m(fixture_config("  - {plugin: fixture, name: a}\n"));
  Config next =
      fixture_config("  - {plugin: fixture, name: a}\n", "server: {bind: \"127.0.0.1:1234\"}\n");
  next.window = std::chrono::minutes{5};
  const ReloadReport report = m.reload(std::move(next));
  EXPECT_THAT(report.needs_restart, testing::UnorderedElementsAre("window", "server.bind"));
  EXPECT_EQ(m.config().window, std::chrono::minutes{1});
  EXPECT_NE(m.config().server.bind, "127.0.0.1:1234");

  // The server's per-request policies are not restart-only: the server applies them itself.
  const ReloadReport auth =
      m.reload(fixture_config("  - {plugin: fixture, name: a}\n",
                              "server: {auth: {token: t0k3n}, cors_origins: [\"*\"]}\n"));
  EXPECT_TRUE(auth.needs_restart.empty());
  EXPECT_EQ(m.config().server.policies.auth_token, "t0k3n");
  EXPECT_THAT(m.config().server.policies.cors_origins, testing::ElementsAre("*"));

  // TLS turned on is named as such; the port goes on speaking plain HTTP until a restart.
  const ReloadReport tls =
      m.reload(fixture_config("  - {plugin: fixture, name: a}\n",
                              "server: {tls: {cert_file: /c.pem, key_file: /k.pem}}\n"));
  EXPECT_THAT(tls.needs_restart, testing::ElementsAre("server.tls"));
  EXPECT_EQ(m.config().server.tls_cert_file, "");
}

// Views read snapshots on their own threads while the sampler runs and reloads swap the store,
// the layout and the sampler: every snapshot is whole (one column per series it names).
TEST(MonitorReloadConcurrencyTest, SnapshotsStayConsistentAcrossReloadsWhileSampling) {
  const Config one = fixture_config("  - {plugin: fixture, name: a}\n");
  const Config two =
      fixture_config("  - {plugin: fixture, name: a}\n  - {plugin: fixture, name: b}\n");
  Monitor m(one);
  m.start();
  std::atomic<bool> done{false};
  std::atomic<uint64_t> bad{0}, read{0};
  std::thread reader([&] {
    while (!done.load()) {
      const MonitorSnapshot s = m.snapshot();
      if (s.store.series_count != s.keys().size()) bad.fetch_add(1);
      read.fetch_add(1);
    }
  });
  for (int i = 0; i < 6; ++i) {
    const uint64_t rows = m.snapshot().rows_held;
    ASSERT_TRUE(test::eventually([&] { return m.snapshot().rows_held > rows; }));
    m.reload(i % 2 ? one : two);
    m.reload_applied();
  }
  done = true;
  reader.join();
  m.stop();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(read.load(), 0u);
  EXPECT_EQ(m.snapshot().config.reloads, 6u);
}

}  // namespace
}  // namespace resync

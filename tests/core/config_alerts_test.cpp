// SPDX-License-Identifier: MIT
// The rule fields and `notify:` as the configuration reads them: values, and an error naming
// file, line and key for each kind of mistake.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "resync/config.hpp"
#include "resync/error.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;

std::string yaml_error(const std::string& text) {
  try {
    parse_config(text, ConfigFormat::kYaml, "test.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string rule_error(const std::string& rule) {
  return yaml_error("alerts:\n  - " + rule + "\n");
}

TEST(ConfigAlertsTest, EveryRuleField) {
  const Config c = parse_config(R"(alerts:
  - metric: cache_hit_ratio
    instance: redis
    name: redis_cache_cold
    below: {warning: 80, critical: 50}
    clear: {warning: 85, critical: 60}
    for: 30s
    keep_firing_for: 2m
    absent_for: 1m
    absent_severity: critical
    flapping: {high: 40, low: 10}
  - {metric: error_rate, above: {warning: 5}, clear: 4, flapping: true}
  - {metric: tws_connected, absent_for: 5m}
)",
                                ConfigFormat::kYaml, "t.yaml");
  ASSERT_EQ(c.alerts.size(), 3u);
  const AlertRule& r = c.alerts[0];
  EXPECT_EQ(r.instance, "redis");
  EXPECT_EQ(r.instance_line, 3);
  EXPECT_EQ(r.alert_name(), "redis_cache_cold");
  ASSERT_EQ(r.conditions.size(), 2u);
  EXPECT_EQ(r.clear[0], 85);
  EXPECT_EQ(r.clear[1], 60);
  EXPECT_EQ(r.for_duration, 30s);
  EXPECT_EQ(r.keep_firing_for, 2min);
  EXPECT_EQ(r.absent_for, 1min);
  EXPECT_EQ(r.absent_severity, Severity::kCritical);
  ASSERT_TRUE(r.flapping);
  EXPECT_EQ(r.flapping->high, 40);
  EXPECT_EQ(r.flapping->low, 10);
  // clear: N is the level the alert resolves at; flapping: true takes Nagios' 30/20.
  EXPECT_EQ(c.alerts[1].alert_name(), "error_rate");
  EXPECT_EQ(c.alerts[1].clear[0], 4);
  EXPECT_FALSE(c.alerts[1].clear[1]);
  ASSERT_TRUE(c.alerts[1].flapping);
  EXPECT_EQ(c.alerts[1].flapping->high, 30);
  EXPECT_EQ(c.alerts[1].flapping->low, 20);
  EXPECT_TRUE(c.alerts[2].conditions.empty());
  EXPECT_EQ(c.alerts[2].absent_for, 5min);

  const Config t = parse_config(R"([[alerts]]
metric = "cache_hit_ratio"
instance = "redis"
below = { warning = 80 }
clear = 85
flapping = { high = 40, low = 10 }
)",
                                ConfigFormat::kToml, "t.toml");
  EXPECT_EQ(t.alerts[0].instance, "redis");
  EXPECT_EQ(t.alerts[0].clear[0], 85);
  EXPECT_EQ(t.alerts[0].flapping->high, 40);
}

TEST(ConfigAlertsTest, RuleFieldErrorsNameFileLineAndKey) {
  EXPECT_EQ(rule_error("{metric: x, above: {warning: 5}, clear: 6}"),
            "test.yaml:2: alerts[0].clear: must be below the warning threshold 5, got 6");
  EXPECT_EQ(rule_error("{metric: x, below: {warning: 80}, clear: {warning: 70}}"),
            "test.yaml:2: alerts[0].clear.warning: must be above the warning threshold 80, got 70");
  EXPECT_EQ(rule_error("{metric: x, above: {warning: 5}, clear: {critical: 3}}"),
            "test.yaml:2: alerts[0].clear.critical: the rule has no critical threshold");
  EXPECT_EQ(
      rule_error("{metric: x, equals: {critical: 0}, clear: 1}"),
      "test.yaml:2: alerts[0].clear: not allowed with equals; a value is either equal or not");
  EXPECT_EQ(rule_error("{metric: x, above: {warning: 5}, below: {critical: 1}, clear: 3}"),
            "test.yaml:2: alerts[0].clear: the rule has thresholds in both directions, so a clear "
            "level is ambiguous");
  EXPECT_EQ(rule_error("{metric: x, above: {warning: 5}, clear: soon}"),
            "test.yaml:2: alerts[0].clear: expected a number, got \"soon\"");
  EXPECT_EQ(
      rule_error("{metric: x, above: {warning: 5}, keep_firing_for: later}"),
      "test.yaml:2: alerts[0].keep_firing_for: expected a duration like \"5s\", got \"later\"");
  EXPECT_EQ(rule_error("{metric: x, above: {warning: 5}, absent_for: 0s}"),
            "test.yaml:2: alerts[0].absent_for: expected a duration like \"5s\", got \"0s\"");
  EXPECT_EQ(rule_error("{metric: x, above: {warning: 5}, absent_severity: critical}"),
            "test.yaml:2: alerts[0].absent_severity: only means something with absent_for");
  EXPECT_EQ(rule_error("{metric: x, absent_for: 1m, absent_severity: page}"),
            "test.yaml:2: alerts[0].absent_severity: expected warning or critical, got \"page\"");
  EXPECT_EQ(rule_error("{metric: x, above: {warning: 5}, flapping: often}"),
            "test.yaml:2: alerts[0].flapping: expected true or {high: 30, low: 20}, got \"often\"");
  EXPECT_EQ(rule_error("{metric: x, above: {warning: 5}, flapping: {high: 20, low: 30}}"),
            "test.yaml:2: alerts[0].flapping: expected 0 < low < high <= 100 (percent of state "
            "changes), got low 30, "
            "high 20");
  EXPECT_EQ(rule_error("{metric: x, above: {warning: 5}, flapping: {high: 50, lo: 3}}"),
            "test.yaml:2: alerts[0].flapping.lo: unknown key; expected one of high, low");
  EXPECT_EQ(rule_error("{metric: x, absent_for: 1m, flapping: true}"),
            "test.yaml:2: alerts[0].flapping: needs a threshold whose state can change");
  EXPECT_EQ(rule_error("{metric: x, instance: \"a b\", above: {warning: 5}}"),
            "test.yaml:2: alerts[0].instance: expected a collector instance name, got \"a b\"");
  EXPECT_EQ(
      rule_error("{metric: x, name: \"9lives\", above: {warning: 5}}"),
      "test.yaml:2: alerts[0].name: expected letters, digits and '_' (not first), got \"9lives\"");
  EXPECT_EQ(rule_error("{metric: x}"),
            "test.yaml:2: alerts[0]: no threshold; add above, at_least, below, at_most or equals "
            "with warning and/or "
            "critical, or absent_for");
  EXPECT_THAT(
      rule_error("{metric: x, above: {warning: 5}, forr: 1m}"),
      testing::StartsWith(
          "test.yaml:2: alerts[0].forr: unknown key; expected one of metric, instance, name"));
}

TEST(ConfigAlertsTest, Notifiers) {
  setenv("RESYNC_TEST_HOOK_TOKEN", "h00k-s3cret", 1);
  const Config c = parse_config(R"(notify:
  dashboard_url: "https://mon.example.com/monitoring"
  alertmanager:
    url: "http://127.0.0.1:9093"
    resend: 30s
  webhook:
    - url: "https://hooks.example.com/resync"
      headers: {Authorization: "Bearer ${RESYNC_TEST_HOOK_TOKEN}", X-Team: ops}
      timeout: 2s
      retries: 3
      backoff: 500ms
      max_backoff: 10s
      queue: 50
    - {url: "http://user:pw0rd@127.0.0.1:9/hook", name: second}
)",
                                ConfigFormat::kYaml, "t.yaml");
  unsetenv("RESYNC_TEST_HOOK_TOKEN");
  EXPECT_EQ(c.notify.dashboard_url, "https://mon.example.com/monitoring");
  ASSERT_EQ(c.notify.notifiers.size(), 3u);
  const NotifierConfig& am = c.notify.notifiers[0];
  EXPECT_EQ(am.kind, NotifierConfig::Kind::kAlertmanager);
  EXPECT_EQ(am.name, "alertmanager");
  EXPECT_EQ(am.endpoint(), "http://127.0.0.1:9093/api/v2/alerts");
  EXPECT_EQ(am.resend, 30s);
  const NotifierConfig& hook = c.notify.notifiers[1];
  EXPECT_EQ(hook.name, "webhook");
  EXPECT_EQ(hook.endpoint(), "https://hooks.example.com/resync");
  ASSERT_EQ(hook.headers.size(), 2u);
  EXPECT_EQ(hook.headers[0].second, "Bearer h00k-s3cret");
  EXPECT_EQ(hook.timeout, 2s);
  EXPECT_EQ(hook.retries, 3u);
  EXPECT_EQ(hook.backoff, 500ms);
  EXPECT_EQ(hook.max_backoff, 10s);
  EXPECT_EQ(hook.queue, 50u);
  EXPECT_EQ(c.notify.notifiers[2].name, "second");
  // Credentials in headers and URLs are secrets; other header values are not.
  EXPECT_THAT(c.secrets, testing::IsSupersetOf({"Bearer h00k-s3cret", "pw0rd", "user:pw0rd"}));
  EXPECT_THAT(c.secrets, testing::Not(testing::Contains("ops")));

  NotifierConfig full;
  full.kind = NotifierConfig::Kind::kAlertmanager;
  full.url = "http://am:9093/api/v2/alerts";
  EXPECT_EQ(full.endpoint(), "http://am:9093/api/v2/alerts");
  full.url = "http://am:9093/prefix/";
  EXPECT_EQ(full.endpoint(), "http://am:9093/prefix/api/v2/alerts");
}

TEST(ConfigAlertsTest, NotifierErrorsNameFileLineAndKey) {
  EXPECT_EQ(yaml_error("notify:\n  alertmanager: {timeout: 1s}\n"),
            "test.yaml:2: notify.alertmanager.url: missing; give Alertmanager's address like "
            "\"http://127.0.0.1:9093\"");
  EXPECT_EQ(
      yaml_error("notify:\n  webhook:\n    - url: \"ftp://x/\"\n"),
      "test.yaml:3: notify.webhook[0].url: expected an http:// or https:// URL, got \"ftp://x/\"");
  EXPECT_EQ(yaml_error("notify:\n  webhook: {url: \"http://x/\", resend: 1m}\n"),
            "test.yaml:2: notify.webhook.resend: unknown key; expected one of url, name, headers, "
            "timeout, retries, "
            "backoff, max_backoff, queue, ca_file, insecure");
  EXPECT_EQ(
      yaml_error("notify:\n  alertmanager: {url: \"http://x/\", resend: 20m}\n"),
      "test.yaml:2: notify.alertmanager.resend: expected a duration from 1s to 15m, got \"20m\"");
  EXPECT_EQ(
      yaml_error("notify:\n  webhook: {url: \"http://x/\", queue: 0}\n"),
      "test.yaml:2: notify.webhook.queue: expected a whole number from 1 to 100000, got \"0\"");
  EXPECT_EQ(yaml_error("notify:\n  webhook: {url: \"http://x/\", backoff: 2s, max_backoff: 1s}\n"),
            "test.yaml:2: notify.webhook.max_backoff: must not be shorter than backoff (2s)");
  EXPECT_EQ(yaml_error("notify:\n  webhook: {url: \"http://x/\", headers: {\"Bad Name\": 1}}\n"),
            "test.yaml:2: notify.webhook.headers.Bad Name: not a valid HTTP header name");
  EXPECT_EQ(yaml_error("notify:\n  webhook:\n    - {url: \"http://x/\", name: a}\n    - {url: "
                       "\"http://y/\", name: a}\n"),
            "test.yaml:4: notify.webhook[1].name: notifier name \"a\" is already used by "
            "notify.webhook[0]");
  EXPECT_EQ(yaml_error("notify:\n  slack: {url: \"http://x/\"}\n"),
            "test.yaml:2: notify.slack: unknown key; expected one of dashboard_url, alertmanager, "
            "webhook");
  // The password of a URL never appears in an error.
  EXPECT_EQ(
      yaml_error("notify:\n  webhook: {url: \"gopher://me:pa55@x/\"}\n"),
      "test.yaml:2: notify.webhook.url: expected an http:// or https:// URL, got \"gopher://x/\"");
}

}  // namespace
}  // namespace resync

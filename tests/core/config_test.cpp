// SPDX-License-Identifier: MIT
// The configuration file as a whole: YAML and TOML alike, ${ENV} substitution, the embedded
// default, and errors that name file, line and key. The `collectors:` section is in
// config_collectors_test.cpp.
#include "resync/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "config_test_util.hpp"
#include "resync/error.hpp"
#include "resync/monitor.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using testing::ElementsAre;

std::string data(const std::string& name) { return test::test_data_dir() + "/config/" + name; }

std::string yaml_error(const std::string& text) { return test::config_error(text); }
std::string toml_error(const std::string& text) {
  return test::config_error(text, ConfigFormat::kToml);
}

class ConfigTest : public testing::Test {
 protected:
  void SetUp() override {
    setenv("RESYNC_TEST_TOKEN", "t0k3n-value", 1);
    setenv("RESYNC_TEST_REDIS_PASSWORD", "s3cret-pw", 1);
    unsetenv("RESYNC_TEST_REGION");
    unsetenv("RESYNC_TEST_UNSET");
  }
  void TearDown() override {
    unsetenv("RESYNC_TEST_TOKEN");
    unsetenv("RESYNC_TEST_REDIS_PASSWORD");
  }
};

TEST_F(ConfigTest, YamlAndTomlGiveTheSameConfig) {
  const Config y = load_config(data("full.yaml"));
  const Config t = load_config(data("full.toml"));
  EXPECT_EQ(y.source, data("full.yaml"));
  EXPECT_EQ(t.source, data("full.toml"));

  for (const Config* c : {&y, &t}) {
    SCOPED_TRACE(c->source);
    EXPECT_EQ(c->interval, 2s);
    EXPECT_EQ(c->window, 1h);
    EXPECT_EQ(c->capacity(), 1800u);
    EXPECT_EQ(c->plugin_dir, "/opt/resync-mon/plugins");
    EXPECT_EQ(c->state_file, "/var/lib/resync-mon/state");
    EXPECT_EQ(c->server.bind, "0.0.0.0:9100");
    EXPECT_EQ(c->server.policies.auth_token, "t0k3n-value");
    EXPECT_THAT(c->server.policies.allowed_origins,
                ElementsAre("https://ops.example", "https://noc.example"));
    EXPECT_EQ(c->server.max_ws_clients, 64u);
    EXPECT_EQ(c->server.threads, 8u);
    EXPECT_THAT(c->secrets, ElementsAre("s3cret-pw", "t0k3n-value"));

    ASSERT_EQ(c->collectors.size(), 2u);
    EXPECT_EQ(c->collectors[0].plugin, "system");
    EXPECT_EQ(c->collectors[0].name, "system");
    EXPECT_EQ(c->collectors[0].timeout, 2s);  // min(2 s, interval)
    EXPECT_EQ(c->collectors[0].key_path, "collectors[0]");
    EXPECT_EQ(c->collectors[1].plugin, "cache");
    EXPECT_EQ(c->collectors[1].name, "redis");
    EXPECT_EQ(c->collectors[1].timeout, 500ms);
    EXPECT_EQ(c->collectors[1].key_path, "collectors[1]");
    EXPECT_EQ(
        test::canonical_json(c->collectors[0].options_json),
        R"({"interval_ms":2000,"name":"system","proc_root":"/proc","timeout_ms":2000,"window_ms":3600000})");
    EXPECT_EQ(
        test::canonical_json(c->collectors[1].options_json),
        R"({"address":"127.0.0.1:6379","databases":[0,1],"interval_ms":2000,)"
        R"("labels":{"env":"prod","region":"eu-west"},"name":"redis","password":"s3cret-pw",)"
        R"("port_text":"6379","ratio":0.5,"source":"redis","timeout_ms":500,"verify":true,"window_ms":3600000})");

    ASSERT_EQ(c->alerts.size(), 3u);
    EXPECT_EQ(c->alerts[0].metric, "error_rate");
    ASSERT_EQ(c->alerts[0].conditions.size(), 2u);
    EXPECT_EQ(c->alerts[0].conditions[0].severity, Severity::kWarning);
    EXPECT_EQ(c->alerts[0].conditions[0].comparison, Comparison::kAbove);
    EXPECT_EQ(c->alerts[0].conditions[0].threshold, 5);
    EXPECT_EQ(c->alerts[0].conditions[1].severity, Severity::kCritical);
    EXPECT_EQ(c->alerts[0].conditions[1].threshold, 10);
    EXPECT_EQ(c->alerts[0].for_duration, 30s);
    EXPECT_FALSE(c->alerts[0].guard.has_value());
    EXPECT_EQ(c->alerts[1].metric, "cache_hit_ratio");
    ASSERT_TRUE(c->alerts[1].guard.has_value());
    EXPECT_THAT(c->alerts[1].guard->metrics, ElementsAre("cache_hits", "cache_misses"));
    EXPECT_EQ(c->alerts[1].guard->min_increase, 100);
    EXPECT_EQ(c->alerts[1].conditions[0].comparison, Comparison::kBelow);
    EXPECT_EQ(c->alerts[2].conditions[0].comparison, Comparison::kEquals);
    EXPECT_EQ(c->alerts[2].conditions[0].severity, Severity::kCritical);
  }
  // Plugin keys land on the lines they were written on, in both formats.
  EXPECT_EQ(y.collectors[1].key_lines.at("address"), 19);
  EXPECT_EQ(t.collectors[1].key_lines.at("address"), 24);
}

TEST_F(ConfigTest, EnvironmentSubstitution) {
  setenv("RESYNC_TEST_REGION", "us-east", 1);
  const Config c = parse_config(
      "collectors:\n"
      "  - plugin: cache\n"
      "    url: "
      "\"https://${RESYNC_TEST_REGION}.example/${RESYNC_TEST_UNSET:-x}/${RESYNC_TEST_UNSET:-}\"\n",
      ConfigFormat::kYaml, "test.yaml");
  EXPECT_EQ(
      test::canonical_json(c.collectors[0].options_json),
      R"({"interval_ms":5000,"name":"cache","timeout_ms":2000,"url":"https://us-east.example/x/","window_ms":7200000})");
}

TEST_F(ConfigTest, UnsetEnvironmentVariableIsAnError) {
  // server.auth refuses an empty value, so its hint must not suggest ${VAR:-}.
  const std::string auth_hint =
      " is not set (export it where resync-mon runs, e.g. Environment= or EnvironmentFile= in its "
      "systemd unit; to serve without authentication, remove server.auth)";
  EXPECT_EQ(yaml_error("server:\n  auth:\n    token: \"${RESYNC_TEST_UNSET}\"\n"),
            "test.yaml:3: server.auth.token: environment variable RESYNC_TEST_UNSET" + auth_hint);
  EXPECT_EQ(toml_error("[server.auth]\ntoken = \"${RESYNC_TEST_UNSET}\"\n"),
            "test.toml:2: server.auth.token: environment variable RESYNC_TEST_UNSET" + auth_hint);
  EXPECT_EQ(yaml_error("state_file: \"${RESYNC_TEST_UNSET}/state\"\n"),
            "test.yaml:1: state_file: environment variable RESYNC_TEST_UNSET is not set (export "
            "it, or write ${RESYNC_TEST_UNSET:-default} to give a default)");
  EXPECT_EQ(yaml_error("plugin_dir: \"${RESYNC_TEST_UNSET\"\n"),
            "test.yaml:1: plugin_dir: unterminated ${ in \"${RESYNC_TEST_UNSET\"");
  EXPECT_EQ(yaml_error("plugin_dir: \"${1BAD}\"\n"),
            "test.yaml:1: plugin_dir: invalid environment variable name \"1BAD\"");
}

TEST_F(ConfigTest, ReaderToleratesUnsetSecretsItNeverUses) {
  const std::string text =
      "state_file: /tmp/s\n"
      "server:\n  auth:\n    token: \"${RESYNC_TEST_UNSET}\"\n"
      "collectors:\n  - {plugin: cache, password: \"${RESYNC_TEST_UNSET}\"}\n"
      "notify:\n  webhook:\n    - url: \"${RESYNC_TEST_UNSET}\"\n";
  const Config c = parse_config(text, ConfigFormat::kYaml, "test.yaml", ConfigUse::kRead);
  EXPECT_EQ(c.state_file, "/tmp/s");
  ASSERT_EQ(c.collectors.size(), 1u);
  EXPECT_EQ(c.collectors[0].plugin, "cache");
  EXPECT_TRUE(c.server.policies.auth_token.empty());
  EXPECT_TRUE(c.notify.notifiers.empty());
  ASSERT_EQ(c.unresolved.size(), 3u);
  EXPECT_THAT(c.unresolved[0], testing::StartsWith("test.yaml:4: server.auth.token: environment "
                                                   "variable RESYNC_TEST_UNSET is not set"));
  // Whatever would use the value refuses with the error a kRun load gives.
  EXPECT_THROW(require_resolved(c), ConfigError);
  EXPECT_THROW(parse_config(text, ConfigFormat::kYaml, "test.yaml"), ConfigError);
  // What a reader does use must still be set.
  EXPECT_THROW(parse_config("state_file: \"${RESYNC_TEST_UNSET}\"\n", ConfigFormat::kYaml,
                            "test.yaml", ConfigUse::kRead),
               ConfigError);
  EXPECT_THROW(parse_config("collectors:\n  - {plugin: \"${RESYNC_TEST_UNSET}\"}\n",
                            ConfigFormat::kYaml, "test.yaml", ConfigUse::kRead),
               ConfigError);
}

TEST_F(ConfigTest, DiscoverIsOffUnlessSetAndOnInTheEmbeddedDefault) {
  EXPECT_FALSE(
      parse_config("collectors:\n  - plugin: system\n", ConfigFormat::kYaml, "t.yaml").discover);
  EXPECT_TRUE(parse_config("discover: true\n", ConfigFormat::kYaml, "t.yaml").discover);
  EXPECT_TRUE(parse_config("discover = true\n", ConfigFormat::kToml, "t.toml").discover);
  EXPECT_FALSE(parse_config("discover: false\n", ConfigFormat::kYaml, "t.yaml").discover);
  EXPECT_EQ(yaml_error("discover: yes please\n"),
            "test.yaml:1: discover: expected true or false, got \"yes please\"");
  EXPECT_TRUE(default_config().discover);
}

TEST_F(ConfigTest, UnknownKeyNamesFileLineAndKey) {
  EXPECT_EQ(yaml_error("interval: 5s\nwindw: 2h\n"),
            "test.yaml:2: windw: unknown key; expected one of interval, window, plugin_dir, "
            "state_file, state_save_interval, isolation, server, "
            "collectors, alerts, default_alerts, notify, discover");
  EXPECT_EQ(toml_error("interval = \"5s\"\nwindw = \"2h\"\n"),
            "test.toml:2: windw: unknown key; expected one of interval, window, plugin_dir, "
            "state_file, state_save_interval, isolation, server, "
            "collectors, alerts, default_alerts, notify, discover");
  EXPECT_EQ(yaml_error("server:\n  bind: \"127.0.0.1:9882\"\n  bnd: x\n"),
            "test.yaml:3: server.bnd: unknown key; expected one of bind, auth, tls, "
            "allowed_origins, allowed_hosts, cors_origins, max_ws_clients, threads, "
            "max_connections_per_client, request_timeout");
  EXPECT_EQ(yaml_error("server:\n  allowed_hosts: [ok.example, \"bad host\"]\n"),
            "test.yaml:2: server.allowed_hosts[1]: expected a host name or address like "
            "\"monitor.example\", got \"bad host\" (invalid character ' ' in host)");
  EXPECT_EQ(yaml_error("server:\n  cors_origins: https://a.example\n"),
            "test.yaml:2: server.cors_origins: expected a list of origins");
  EXPECT_EQ(yaml_error("alerts:\n  - metric: error_rate\n    above: {warning: 5, severe: 10}\n"),
            "test.yaml:3: alerts[0].above.severe: unknown key; expected one of warning, critical");
}

TEST_F(ConfigTest, BadDurationNamesFileLineAndKey) {
  EXPECT_EQ(yaml_error("interval: often\n"),
            "test.yaml:1: interval: expected a duration like \"5s\", got \"often\"");
  EXPECT_EQ(toml_error("interval = \"5\"\n"),
            "test.toml:1: interval: expected a duration like \"5s\", got \"5\"");
  EXPECT_EQ(yaml_error("interval: 5s\ncollectors:\n  - plugin: system\n    timeout: soon\n"),
            "test.yaml:4: collectors[0].timeout: expected a duration like \"5s\", got \"soon\"");
  EXPECT_EQ(yaml_error("alerts:\n  - metric: error_rate\n    above: {warning: 5}\n    for: .s\n"),
            "test.yaml:4: alerts[0].for: expected a duration like \"5s\", got \".s\"");
}

TEST_F(ConfigTest, OtherValueErrors) {
  EXPECT_EQ(yaml_error("interval: 5ms\n"), "test.yaml:1: interval: must be at least 10ms");
  EXPECT_EQ(yaml_error("interval: 5s\nwindow: 1s\n"),
            "test.yaml:2: window: must be at least one interval (5s)");
  EXPECT_EQ(yaml_error("interval: 10ms\nwindow: 1d\n"),
            "test.yaml:2: window: 1d at 10ms is 8640000 samples; at most 1000000 are allowed");
  EXPECT_EQ(yaml_error("server:\n  bind: localhost\n"),
            "test.yaml:2: server.bind: expected HOST:PORT like \"127.0.0.1:9882\", got "
            "\"localhost\" (no port)");
  EXPECT_EQ(
      yaml_error("server:\n  bind: \"::1:8000\"\n"),
      "test.yaml:2: server.bind: expected HOST:PORT like \"127.0.0.1:9882\", got \"::1:8000\" "
      "(write an IPv6 address in brackets, like [::1]:PORT)");
  EXPECT_EQ(
      parse_config("server:\n  bind: \"[::1]:0\"\n", ConfigFormat::kYaml, "test.yaml").server.bind,
      "[::1]:0");
  EXPECT_EQ(yaml_error("collectors:\n  - name: x\n"),
            "test.yaml:2: collectors[0].plugin: missing; every collector names its plugin");
  EXPECT_EQ(yaml_error("collectors: system\n"),
            "test.yaml:1: collectors: expected a list of collectors");
  EXPECT_EQ(yaml_error("alerts:\n  - metric: error_rate\n    above: {warning: lots}\n"),
            "test.yaml:3: alerts[0].above.warning: expected a number, got \"lots\"");
  EXPECT_EQ(
      yaml_error("server:\n  max_ws_clients: 1.5\n"),
      "test.yaml:2: server.max_ws_clients: expected a whole number from 0 to 100000, got \"1.5\"");
  EXPECT_EQ(yaml_error("interval: 5s\ninterval: 6s\n"), "test.yaml:2: interval: duplicate key");
  EXPECT_EQ(yaml_error("collectors:\n  - plugin: ../../tmp/evil\n"),
            "test.yaml:2: collectors[0].plugin: expected a plugin name like \"my_plugin\" "
            "([a-z0-9_]+), got \"../../tmp/evil\"");
}

TEST_F(ConfigTest, WrongShapesNameTheKey) {
  EXPECT_EQ(yaml_error("just text\n"), "test.yaml:1: (top level): expected a mapping of keys");
  EXPECT_EQ(yaml_error("server: [1, 2]\n"), "test.yaml:1: server: expected a mapping of keys");
  EXPECT_EQ(yaml_error("collectors:\n  - system\n"),
            "test.yaml:2: collectors[0]: expected a mapping of keys");
  EXPECT_EQ(yaml_error("interval: [5s]\n"), "test.yaml:1: interval: expected a single value");
  EXPECT_EQ(toml_error("[[alerts]]\nmetric = \"error_rate\"\n"),
            "test.toml:1: alerts[0]: no threshold; add above, at_least, below, at_most or equals "
            "with warning "
            "and/or critical, or absent_for");
}

TEST_F(ConfigTest, SyntaxErrorsNameFileAndLine) {
  EXPECT_THAT(yaml_error("interval: 5s\ncollectors: [\n"), testing::StartsWith("test.yaml:"));
  EXPECT_THAT(yaml_error("interval: 5s\ncollectors: [\n"),
              testing::HasSubstr("YAML syntax error: "));
  EXPECT_THAT(toml_error("interval = \"5s\"\nwindow = \n"), testing::StartsWith("test.toml:"));
  EXPECT_THAT(toml_error("interval = \"5s\"\nwindow = \n"),
              testing::HasSubstr(": TOML syntax error: "));
}

TEST_F(ConfigTest, UnknownFileFormatAndMissingFile) {
  try {
    load_config("/nonexistent/resync.ini");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/resync.ini: unknown configuration format; name the file .yaml, .yml or "
              ".toml");
  }
  try {
    load_config("/nonexistent/resync.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/resync.yaml: cannot read: No such file or directory");
  }
}

TEST_F(ConfigTest, EmbeddedDefault) {
  const Config c = default_config();
  EXPECT_EQ(c.source, "<embedded default>");
  EXPECT_EQ(c.interval, 5s);
  EXPECT_EQ(c.window, 2h);
  EXPECT_EQ(c.capacity(), 1440u);
  EXPECT_EQ(c.server.bind, "127.0.0.1:9882");
  ASSERT_EQ(c.collectors.size(), 1u);
  EXPECT_EQ(c.collectors[0].plugin, "system");
  EXPECT_FALSE(c.alerts_given);
  EXPECT_TRUE(c.default_alerts);
  EXPECT_TRUE(c.secrets.empty());
}

TEST_F(ConfigTest, EmptyFileMeansDefaultsWithoutCollectors) {
  const Config c = parse_config("", ConfigFormat::kYaml, "empty.yaml");
  EXPECT_EQ(c.interval, 5s);
  EXPECT_TRUE(c.collectors.empty());
  EXPECT_FALSE(c.alerts_given);
  const Config none = parse_config("alerts: []\n", ConfigFormat::kYaml, "t");
  EXPECT_TRUE(none.alerts_given);
  EXPECT_TRUE(effective_alert_rules(none, {}).empty()) << "alerts: replaces the defaults";
}

TEST_F(ConfigTest, RedactReplacesEverySecret) {
  EXPECT_EQ(redact("auth s3cret failed for s3cret and pw", {"s3cret", "pw", ""}),
            "auth *** failed for *** and ***");
  EXPECT_EQ(redact("nothing here", {}), "nothing here");
}

TEST_F(ConfigTest, ConfigMessageFormat) {
  EXPECT_EQ(config_message("a.yaml", 3, "collectors[0].plugin", "bad"),
            "a.yaml:3: collectors[0].plugin: bad");
  EXPECT_EQ(config_message("a.yaml", 0, "window", "bad"), "a.yaml: window: bad");
  EXPECT_EQ(config_message("a.yaml", 2, "", "bad"), "a.yaml:2: bad");
}

}  // namespace
}  // namespace resync

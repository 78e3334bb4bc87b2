// SPDX-License-Identifier: MIT
// `resync-mon rules --format prometheus` with the real tools: promtool checks the export of every
// example configuration, and a real Prometheus scraping a real `serve` evaluates the export and
// sends a forced alert to a real Alertmanager that resync-mon notifies too, which must then list
// one alert, not two.
#include <Poco/JSON/Parser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "alertmanager.hpp"
#include "run_cli.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using test::run_cli;
using testing::HasSubstr;

std::string require(const std::string& program) {
  const auto found = test::find_program(program);
  if (!found)
    ADD_FAILURE() << program << " not found: install the Debian package `prometheus` "
                  << "(scripts/deps --test)";
  return found.value_or("");
}

// `promtool check rules` on `rules`; its output when it refuses them.
void expect_promtool_accepts(const std::string& promtool, const std::string& rules,
                             const std::string& what) {
  test::TempDir dir("resync-rules");
  test::write_file(dir.file("rules.yml"), rules);
  test::Process check({promtool, "check", "rules", dir.file("rules.yml")}, dir.file("log"));
  EXPECT_EQ(check.wait_exit(60s), std::optional<int>(0)) << what << ":\n"
                                                         << test::read_file(dir.file("log")) << "\n"
                                                         << rules;
  EXPECT_THAT(test::read_file(dir.file("log")), HasSubstr("SUCCESS")) << what;
}

TEST(RulesExportTest, PromtoolAcceptsTheExportOfEveryExampleAndTheDefault) {
  const std::string promtool = require("promtool");
  ASSERT_FALSE(promtool.empty());
  // Every example configuration there is, so a new one is covered without touching this test.
  std::vector<std::string> configs = {""};
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(RESYNC_SOURCE_DIR) + "/examples")) {
    const std::string ext = e.path().extension().string();
    if (ext == ".yaml" || ext == ".yml" || ext == ".toml") configs.push_back(e.path().string());
  }
  ASSERT_GE(configs.size(), 4u) << "the embedded default and examples/*.yaml, *.toml";
  for (const std::string& config : configs) {
    std::vector<std::string> args = {"rules", "--format", "prometheus"};
    if (!config.empty()) args.insert(args.begin(), {"--config", config});
    const std::string what = config.empty() ? "embedded default" : config;
    const test::RunResult r = run_cli(args);
    ASSERT_EQ(r.code, 0) << what << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr("- alert: collector_up")) << what << ": the defaults are in";
    expect_promtool_accepts(promtool, r.out, what);
  }
}

TEST(RulesExportTest, FlappingIsACommentAndALineOnStderr) {
  const std::string promtool = require("promtool");
  ASSERT_FALSE(promtool.empty());
  test::TempDir dir("resync-rules");
  test::write_file(dir.file("r.yaml"),
                   "plugin_dir: \"" + test::plugin_build_dir() +
                       "\"\ncollectors: [{plugin: system}]\nalerts:\n"
                       "  - {metric: host_cpu_percent, above: {warning: 90}, flapping: true}\n");
  const test::RunResult r = run_cli({"--config", dir.file("r.yaml"), "rules"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("host_cpu_percent (host_cpu_percent): flapping detection cannot "
                               "be written in PromQL"));
  EXPECT_THAT(r.out, HasSubstr("# Flapping detection (high 30 %, low 20 %) is not exported"));
  EXPECT_THAT(r.out, HasSubstr("- alert: host_cpu_percent")) << "the rule itself stays";
  expect_promtool_accepts(promtool, r.out, "flapping rule");
}

// The number in `text`'s first line starting with `series` (Prometheus text format); 0 if none.
double sample(const std::string& text, const std::string& series) {
  const std::regex line("(^|\n)" + series + R"( ([0-9.e+]+))");
  std::smatch m;
  return std::regex_search(text, m, line) ? std::stod(m[2]) : 0;
}

class PrometheusPipelineTest : public testing::Test {
 protected:
  void start_prometheus(const std::string& rules, const std::string& serve_url,
                        const std::string& am_url) {
    const std::string prometheus = require("prometheus");
    ASSERT_FALSE(prometheus.empty());
    test::write_file(dir_.file("rules.yml"), rules);
    // The scrape configuration docs/rules-export.md recommends.
    test::write_file(dir_.file("prometheus.yml"),
                     "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                     "rule_files: [\"" +
                         dir_.file("rules.yml") +
                         "\"]\n"
                         "alerting:\n  alertmanagers:\n    - static_configs: [{targets: [\"" +
                         am_url.substr(7) +
                         "\"]}]\n"
                         "scrape_configs:\n  - job_name: resync-mon\n    honor_labels: true\n"
                         "    static_configs: [{targets: [\"" +
                         serve_url.substr(7) + "\"]}]\n");
    port_ = test::free_port();
    prometheus_ = std::make_unique<test::Process>(
        std::vector<std::string>{prometheus, "--config.file=" + dir_.file("prometheus.yml"),
                                 "--storage.tsdb.path=" + dir_.file("data"),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
        dir_.file("prometheus.log"));
    ASSERT_TRUE(test::wait_for_port(port_, 30s)) << log();
  }
  std::string get(const std::string& path) const {
    return test::http_get("http://127.0.0.1:" + std::to_string(port_) + path).body;
  }
  std::string log() const { return test::read_file(dir_.file("prometheus.log")); }

  test::TempDir dir_{"resync-prom"};
  uint16_t port_ = 0;
  std::unique_ptr<test::Process> prometheus_;
};

TEST_F(PrometheusPipelineTest, AForcedAlertFromBothSendersIsOneAlertInAlertmanager) {
  test::Alertmanager am;
  // system_uptime > 0 holds from the first sample: the alert is forced to fire. The second rule
  // never fires but puts two severities under `for`, a clear level, a guard and absent_for
  // before the real Prometheus.
  test::write_file(
      dir_.file("resync.yaml"),
      "interval: 1s\nwindow: 1m\nplugin_dir: \"" + test::plugin_build_dir() +
          "\"\ncollectors: [{plugin: system}]\nalerts:\n"
          "  - {name: forced, metric: system_uptime, above: {warning: 0}}\n"
          "  - {metric: host_cpu_percent, above: {warning: 101, critical: 102}, clear: 100,\n"
          "     for: 2s, absent_for: 1m, guard: {metrics: [collector_up], min_increase: -1}}\n"
          "notify:\n  alertmanager: {url: \"" +
          am.url() + "\"}\n");
  const test::RunResult rules = run_cli({"--config", dir_.file("resync.yaml"), "rules"});
  ASSERT_EQ(rules.code, 0) << rules.err;
  test::ServeProcess serve(dir_.file("resync.yaml"), dir_.file("serve.log"));
  ASSERT_FALSE(serve.url().empty());
  start_prometheus(rules.out, serve.url(), am.url());

  // Prometheus scraped, evaluated every exported rule without error, and fired the forced one.
  EXPECT_TRUE(test::eventually(
      [&] {
        return get("/api/v1/alerts").find(R"("alertname":"forced")") != std::string::npos &&
               get("/api/v1/alerts").find(R"("state":"firing")") != std::string::npos;
      },
      90s, 250ms))
      << get("/api/v1/alerts") << "\n"
      << get("/api/v1/targets") << "\n"
      << log();
  const std::string groups = get("/api/v1/rules");
  EXPECT_THAT(groups, HasSubstr(R"("health":"ok")"));
  EXPECT_THAT(groups, testing::Not(HasSubstr(R"("health":"err")"))) << groups;

  // Both senders delivered: resync-mon's notifier and Prometheus' notification queue.
  EXPECT_TRUE(test::eventually(
      [&] {
        const std::string m = test::http_get(serve.url() + "/metrics").body;
        return sample(m, R"(resync_mon_notify_sent_total\{notifier="alertmanager"\})") >= 1;
      },
      60s, 250ms))
      << test::read_file(dir_.file("serve.log"));
  EXPECT_TRUE(test::eventually(
      [&] {
        return sample(get("/metrics"), R"(prometheus_notifications_sent_total\{[^}]*\})") >= 1;
      },
      60s, 250ms))
      << log();

  // One alert, with exactly the labels resync-mon sends: no job, no exported_instance.
  const std::string listed = am.alerts_json();
  const auto alerts = Poco::JSON::Parser().parse(listed).extract<Poco::JSON::Array::Ptr>();
  ASSERT_EQ(alerts->size(), 1u) << listed;
  const auto labels = alerts->getObject(0)->getObject("labels");
  EXPECT_EQ(labels->size(), 4u) << listed;
  EXPECT_EQ(labels->getValue<std::string>("alertname"), "forced");
  EXPECT_EQ(labels->getValue<std::string>("severity"), "warning");
  EXPECT_EQ(labels->getValue<std::string>("instance"), "system");
  EXPECT_EQ(labels->getValue<std::string>("metric"), "system_uptime");
}

}  // namespace
}  // namespace resync

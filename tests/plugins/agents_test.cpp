// SPDX-License-Identifier: MIT
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "http_targets.hpp"
#include "plugin_host.hpp"
#include "resync/error.hpp"

namespace resync {
namespace {

using test::collect_once;
using test::Nginx;
using test::Values;
using testing::HasSubstr;
using testing::StartsWith;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::string config(const std::string& fields, int timeout_ms = 2000) {
  return test::plugin_options("agents", fields, timeout_ms);
}

std::string create_error(const std::string& json) { return test::create_error("agents", json); }

TEST(AgentsPluginTest, RejectsBadOptionsNamingTheKey) {
  EXPECT_EQ(create_error(config("\"source\":\"prometheus\"")),
            "url: missing; this collector needs it");
  EXPECT_THAT(create_error(config("\"source\":\"xml\",\"url\":\"http://x/\"")),
              StartsWith("source: expected one of prometheus, json, got \"xml\""));
  EXPECT_THAT(create_error(config("\"url\":\"http://x/\",\"colour\":\"red\"")),
              StartsWith("colour: unknown key"));
  EXPECT_THAT(create_error(config("\"url\":\"not a url\"")), StartsWith("url: "));
  EXPECT_THAT(
      create_error(config("\"url\":\"http://x/\",\"metrics\":{\"agents_idle\":\"x\"}")),
      StartsWith(
          "metrics.agents_idle: unknown series; expected one of agents_active, agents_created"));
  EXPECT_THAT(create_error(config("\"url\":\"http://x/\",\"metrics\":[\"a\"]")),
              StartsWith("metrics: expected a mapping"));
  EXPECT_THAT(create_error(config("\"url\":\"http://x/\",\"pointers\":{\"agents_active\":\"/a\"}")),
              StartsWith("pointers: unknown key"));
  EXPECT_THAT(
      create_error(config("\"source\":\"json\",\"url\":\"http://x/"
                          "\",\"pointers\":{\"agents_active\":\"agents/active\"}")),
      StartsWith("pointers.agents_active: \"agents/active\" is not a JSON pointer (RFC 6901)"));
  EXPECT_THAT(
      create_error(config(
          "\"source\":\"json\",\"url\":\"http://x/\",\"pointers\":{\"llm_errors\":\"/a~2b\"}")),
      StartsWith("pointers.llm_errors: \"/a~2b\" is not a JSON pointer"));
  EXPECT_THAT(create_error(config(
                  "\"source\":\"json\",\"url\":\"http://x/\",\"pointers\":{\"tokens\":\"/t\"}")),
              StartsWith("pointers.tokens: unknown series"));
  EXPECT_THAT(create_error(config(
                  "\"source\":\"json\",\"url\":\"http://x/\",\"pointers\":{\"llm_errors\":\"/e\"},"
                  "\"metrics\":{}")),
              StartsWith("metrics: unknown key"));
}

TEST(AgentsPluginTest, SumsResyncMetricsServedByARealHttpServer) {
  Nginx nginx;
  nginx.write_www("metrics", test::read_file(test::test_data_dir() + "/prom/resync_style.txt"));
  PluginCollector agents(test::load_built_plugin("agents"),
                         config("\"url\":" + test::json_string(nginx.url("/metrics"))));
  Values v = collect_once(agents);
  EXPECT_EQ(v.at("agents_active"), 7);    // two pools, 3 + 4
  EXPECT_EQ(v.at("agents_created"), 42);  // a counter printed without "_total"
  EXPECT_EQ(v.at("agents_failed"), 2);
  EXPECT_EQ(v.at("llm_requests"), 150);
  EXPECT_EQ(v.at("llm_tokens_used"), 19500);
  EXPECT_EQ(v.at("llm_errors"), 3);
  EXPECT_EQ(agents.status(), "ok");

  // A Python client's spelling, "_total" added; and a series the service stopped exporting.
  nginx.write_www("metrics",
                  "resync_agent_active_count 1\nresync_agent_initializations_total{kind=\"a\"} 50\n"
                  "resync_agent_creation_failures_total 3\nresync_llm_requests_total "
                  "200\nresync_llm_tokens_total 1e6\n");
  v = collect_once(agents);
  EXPECT_EQ(v.at("agents_active"), 1);
  EXPECT_EQ(v.at("agents_created"), 50);
  EXPECT_EQ(v.at("llm_tokens_used"), 1e6);
  EXPECT_TRUE(std::isnan(v.at("llm_errors")));
  EXPECT_EQ(agents.status(), "ok; no value for llm_errors (resync_llm_errors)");
}

TEST(AgentsPluginTest, UsesConfiguredMetricNamesAndBearerToken) {
  Nginx nginx;
  nginx.write_www("private/metrics",
                  "svc_agents{pool=\"a\"} 2\nsvc_agents{pool=\"b\"} 5\nresync_llm_errors 4\n");
  const std::string fields = "\"url\":" + test::json_string(nginx.url("/private/metrics")) +
                             ",\"metrics\":{\"agents_active\":\"svc_agents\"}";
  PluginCollector agents(test::load_built_plugin("agents"),
                         config(fields + ",\"token\":\"s3cret\""));
  const Values v = collect_once(agents);
  EXPECT_EQ(v.at("agents_active"), 7);
  EXPECT_EQ(v.at("llm_errors"), 4);
  EXPECT_TRUE(std::isnan(v.at("agents_created")));

  PluginCollector no_token(test::load_built_plugin("agents"), config(fields));
  Values ignored;
  EXPECT_THROW(
      try { no_token.collect(ignored); } catch (const CollectError& e) {
        EXPECT_THAT(e.what(), HasSubstr("/private/metrics: HTTP 401 Unauthorized"));
        EXPECT_THAT(e.what(), testing::Not(HasSubstr("s3cret")));
        throw;
      },
      CollectError);
  EXPECT_THAT(no_token.status(), StartsWith("down: GET"));
}

TEST(AgentsPluginTest, ReadsAJsonDocumentByPointer) {
  Nginx nginx;
  nginx.write_www("stats.json", R"({
    "agents": {"active": 12, "created": "340", "failed": 0},
    "llm": {"by/model": [{"requests": 10}, {"requests": 25.5}], "tokens~total": 98765, "errors": null},
    "healthy": true
  })");
  const std::string pointers =
      "{\"agents_active\":\"/agents/active\",\"agents_created\":\"/agents/created\","
      "\"agents_failed\":\"/healthy\",\"llm_requests\":\"/llm/by~1model/1/requests\","
      "\"llm_tokens_used\":\"/llm/tokens~0total\",\"llm_errors\":\"/llm/errors\"}";
  PluginCollector agents(
      test::load_built_plugin("agents"),
      config("\"source\":\"json\",\"url\":" + test::json_string(nginx.url("/stats.json")) +
             ",\"pointers\":" + pointers));
  Values v = collect_once(agents);
  EXPECT_EQ(v.at("agents_active"), 12);
  EXPECT_EQ(v.at("agents_created"), 340);     // a number sent as a string
  EXPECT_EQ(v.at("agents_failed"), 1);        // true
  EXPECT_EQ(v.at("llm_requests"), 25.5);      // array index, "~1" for "/"
  EXPECT_EQ(v.at("llm_tokens_used"), 98765);  // "~0" for "~"
  EXPECT_TRUE(std::isnan(v.at("llm_errors")));
  EXPECT_EQ(agents.status(), "ok; no value for llm_errors (null)");

  nginx.write_www("stats.json",
                  R"({"agents": {"active": "many", "created": [1]}, "llm": {"by/model": []}})");
  v = collect_once(agents);
  EXPECT_TRUE(std::isnan(v.at("agents_active")));
  EXPECT_TRUE(std::isnan(v.at("llm_requests")));
  EXPECT_THAT(agents.status(), HasSubstr("agents_active (not a number)"));
  EXPECT_THAT(agents.status(), HasSubstr("llm_requests (no element \"1\")"));
  EXPECT_THAT(agents.status(), HasSubstr("agents_failed (no member \"healthy\")"));
  EXPECT_THAT(agents.status(), HasSubstr("agents_created (not a number)"));
}

TEST(AgentsPluginTest, WithoutPointersReadsACurrentDocument) {
  Nginx nginx;
  nginx.write_www("current.json", R"({"status": "ok",
    "agents": {"active": 3, "created_total": 7, "failed_total": 1, "trend": 0},
    "llm": {"requests": 5, "tokens_used": 900, "errors": 2}})");
  PluginCollector agents(
      test::load_built_plugin("agents"),
      config("\"source\":\"json\",\"url\":" + test::json_string(nginx.url("/current.json"))));
  const Values v = collect_once(agents);
  EXPECT_EQ(v.at("agents_active"), 3);
  EXPECT_EQ(v.at("agents_created"), 7);
  EXPECT_EQ(v.at("agents_failed"), 1);
  EXPECT_EQ(v.at("llm_requests"), 5);
  EXPECT_EQ(v.at("llm_tokens_used"), 900);
  EXPECT_EQ(v.at("llm_errors"), 2);
  EXPECT_EQ(agents.status(), "ok");
}

struct Fault {
  std::string url;
  std::string message;
};

// Each misbehaving target fails the collection with a clear message before the deadline
// (timeout_ms 1000), for both sources, and nothing leaks or crashes (run under ASan too).
TEST(AgentsPluginTest, FailsWithinItsDeadlineWhenTheTargetMisbehaves) {
  Nginx nginx;
  nginx.write_www("garbage.bin", std::string(3000, '\x01'));
  nginx.write_www("index.html", "<!doctype html>\n<html><body>It works</body></html>\n");
  nginx.write_www("deep.json", std::string(100, '[') + std::string(100, ']'));
  test::Blackhole hang;
  test::TruncatingServer cut_length(test::TruncatingServer::Mode::kContentLength);
  test::TruncatingServer cut_chunked(test::TruncatingServer::Mode::kChunked);
  const std::vector<Fault> common = {
      {"http://127.0.0.1:" + std::to_string(test::free_port()) + "/x", "connection refused"},
      {"http://127.0.0.1:" + std::to_string(hang.port()) + "/x", "timed out after 900 ms"},
      {nginx.url("/drip/big.txt"), "timed out after 900 ms"},
      {nginx.url("/fail"), "HTTP 503 Service Temporarily Unavailable"},
      {cut_length.url(), "connection closed after"},
      {cut_chunked.url(), "connection closed before the end of the chunked body"},
  };
  for (const std::string source : {"prometheus", "json"}) {
    std::vector<Fault> faults = common;
    if (source == "prometheus") {
      faults.push_back({nginx.url("/garbage.bin"),
                        "not Prometheus text format (line 1: expected a metric name)"});
      faults.push_back({nginx.url("/index.html"), "not Prometheus text format"});
    } else {
      faults.push_back({nginx.url("/garbage.bin"), "not JSON"});
      faults.push_back({nginx.url("/index.html"), "not JSON"});
      // Past agents::kMaxJsonDepth (64): Poco's parser recurses once per level.
      faults.push_back(
          {nginx.url("/deep.json"), "not JSON: JSON Exception: Maximum depth exceeded"});
    }
    for (const Fault& fault : faults) {
      SCOPED_TRACE(source + " " + fault.url);
      std::string fields = "\"source\":\"" + source + "\",\"url\":" + test::json_string(fault.url);
      if (source == "json") fields += ",\"pointers\":{\"agents_active\":\"/a\"}";
      PluginCollector agents(test::load_built_plugin("agents"), config(fields, 1000));
      const Clock::time_point started = Clock::now();
      try {
        Values ignored;
        agents.collect(ignored);
        ADD_FAILURE() << "expected a failure";
      } catch (const CollectError& e) {
        EXPECT_THAT(e.what(), HasSubstr(fault.message));
      }
      EXPECT_LT(Clock::now() - started, 1000ms);
    }
  }
}

}  // namespace
}  // namespace resync

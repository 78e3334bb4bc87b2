// SPDX-License-Identifier: MIT
#include "resync/plugin/prom_text.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace resync::plugin {
namespace {

using testing::HasSubstr;

std::string read_data(const std::string& name) {
  const std::string path = std::string(RESYNC_TEST_DATA_DIR) + "/prom/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Sample lines counted the simple way (neither empty nor a comment), to check nothing is lost.
size_t count_sample_lines(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.front() != '#') ++n;
  }
  return n;
}

const PromSample* find(const PromParseResult& r, const std::string& name,
                       const std::vector<std::pair<std::string, std::string>>& labels = {}) {
  for (const PromSample& s : r.samples) {
    if (s.name != name) continue;
    bool all = true;
    for (const auto& [k, v] : labels) {
      const std::string* got = s.label(k);
      all = all && got && *got == v;
    }
    if (all) return &s;
  }
  return nullptr;
}

TEST(PromTextTest, ParsesPrometheusServerOwnMetrics) {
  const std::string text = read_data("prometheus_2.42.txt");
  const PromParseResult r = parse_prometheus_text(text);
  EXPECT_EQ(r.skipped_lines, 0u) << r.first_error;
  EXPECT_EQ(r.samples.size(), count_sample_lines(text));
  EXPECT_EQ(r.samples.size(), 355u);
  EXPECT_EQ(r.types.at("prometheus_http_request_duration_seconds"), "histogram");
  EXPECT_EQ(r.types.at("prometheus_http_requests_total"), "counter");

  const PromSample* ok =
      find(r, "prometheus_http_requests_total", {{"code", "200"}, {"handler", "/api/v1/query"}});
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->value, 20);
  const PromSample* inf = find(r, "prometheus_http_request_duration_seconds_bucket",
                               {{"handler", "/api/v1/query"}, {"le", "+Inf"}});
  ASSERT_NE(inf, nullptr);
  EXPECT_EQ(inf->value, 20);
  const PromSample* q = find(r, "prometheus_engine_query_duration_seconds",
                             {{"slice", "inner_eval"}, {"quantile", "0.5"}});
  ASSERT_NE(q, nullptr);
  EXPECT_DOUBLE_EQ(q->value, 1.0771e-05);
  const PromSample* build = find(r, "prometheus_build_info");
  ASSERT_NE(build, nullptr);
  ASSERT_NE(build->label("version"), nullptr);
  EXPECT_EQ(*build->label("version"), "2.42.0+ds");
  EXPECT_EQ(build->label("nope"), nullptr);
}

TEST(PromTextTest, ParsesNodeExporterMetrics) {
  const std::string text = read_data("node_exporter.txt");
  const PromParseResult r = parse_prometheus_text(text);
  EXPECT_EQ(r.skipped_lines, 0u) << r.first_error;
  EXPECT_EQ(r.samples.size(), count_sample_lines(text));
  EXPECT_EQ(r.samples.size(), 505u);
  const PromSample* fs = find(r, "node_filesystem_size_bytes", {{"mountpoint", "/"}});
  ASSERT_NE(fs, nullptr);
  EXPECT_DOUBLE_EQ(fs->value, 2.70553174016e+11);
  const PromSample* build = find(r, "node_exporter_build_info");
  ASSERT_NE(build, nullptr);
  EXPECT_EQ(*build->label("version"), "1.5.0");
  EXPECT_EQ(build->labels.size(), 6u);
  EXPECT_EQ(build->labels.front().first, "branch");  // line order kept
}

TEST(PromTextTest, ParsesResyncStyleTextWithCrlfAndNoFinalNewline) {
  const std::string text = read_data("resync_style.txt");
  ASSERT_NE(text.find("\r\n"), std::string::npos) << "the data file must keep its CRLF line ends";
  ASSERT_NE(text.back(), '\n') << "the data file must keep its missing final newline";
  const PromParseResult r = parse_prometheus_text(text);

  EXPECT_EQ(r.samples.size(), 26u);
  EXPECT_EQ(r.skipped_lines, 3u);
  EXPECT_EQ(r.first_error, "line 34: \"line\" is not a number");

  const PromSample& last = r.samples.back();
  EXPECT_EQ(last.name, "resync_cache_size");
  EXPECT_EQ(last.value, 42);
  EXPECT_EQ(last.timestamp_ms, 1732500000000);

  const PromSample* planner = find(r, "resync_agent_initializations", {{"kind", "planner"}});
  ASSERT_NE(planner, nullptr);
  EXPECT_EQ(planner->timestamp_ms, 1732500000000);
  EXPECT_FALSE(find(r, "resync_agent_active_count")->timestamp_ms.has_value());

  const PromSample* path = find(r, "resync_llm_requests", {{"model", "gpt-4o"}});
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(*path->label("path"), "C:\\models\\gpt");
  const PromSample* quoted = find(r, "resync_llm_requests", {{"model", "llama \"3\""}});
  ASSERT_NE(quoted, nullptr);
  EXPECT_EQ(*quoted->label("note"), "two\nlines");
  EXPECT_EQ(quoted->value, 30);

  const PromSample* one = find(r, "http_request_duration_seconds_bucket", {{"le", "1.0"}});
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(parse_prometheus_float(*one->label("le")), 1.0);
  EXPECT_EQ(one->value, 990);

  EXPECT_TRUE(std::isnan(find(r, "resync_uptime_seconds")->value));
  EXPECT_EQ(find(r, "resync_clock_skew_seconds")->value, -INFINITY);
  ASSERT_NE(find(r, "resync_indented_sample"), nullptr);
  EXPECT_EQ(find(r, "resync_indented_sample")->value, 1);
  EXPECT_EQ(find(r, "resync_llm_tokens", {{"direction", "in"}})->value, 15000);
}

TEST(PromTextTest, SumsCountersWithOrWithoutTotalSuffix) {
  const PromParseResult r = parse_prometheus_text(read_data("resync_style.txt"));
  EXPECT_EQ(sum_samples(r, "resync_agent_initializations"), 42);
  EXPECT_EQ(sum_samples(r, "resync_agent_initializations_total"), 42);
  EXPECT_EQ(sum_samples(r, "http_requests_total"), 1007);
  EXPECT_EQ(resolve_metric_name(r, "http_requests_total"), "http_requests");
  EXPECT_EQ(sum_samples(r, "resync_agent_active_count"), 7);
  EXPECT_EQ(sum_samples(r, "resync_llm_errors"), 3);
  EXPECT_EQ(sum_samples(r, "resync_uptime_seconds"), 0)
      << "NaN samples are ignored, the name is present";
  EXPECT_FALSE(sum_samples(r, "resync_not_there").has_value());
  EXPECT_FALSE(resolve_metric_name(r, "resync_not_there").has_value());
}

TEST(PromTextTest, PrefersNamesWithSamplesOverTypeLines) {
  // OpenMetrics declares the family without "_total" but prints samples with it.
  const PromParseResult r = parse_prometheus_text(
      "# TYPE jobs counter\njobs_total{q=\"a\"} 3\njobs_total{q=\"b\"} 4\njobs_created 1.7e9\n# "
      "TYPE idle gauge\n");
  EXPECT_EQ(resolve_metric_name(r, "jobs"), "jobs_total");
  EXPECT_EQ(sum_samples(r, "jobs"), 7);
  EXPECT_EQ(r.types.at("jobs"), "counter");
  // Declared but without samples yet: known, with nothing to sum.
  EXPECT_EQ(resolve_metric_name(r, "idle"), "idle");
  EXPECT_FALSE(sum_samples(r, "idle").has_value());
}

TEST(PromTextTest, ParsesValueForms) {
  EXPECT_EQ(parse_prometheus_float("1"), 1.0);
  EXPECT_EQ(parse_prometheus_float("1.0"), 1.0);
  EXPECT_EQ(parse_prometheus_float("-1.5e-3"), -0.0015);
  EXPECT_EQ(parse_prometheus_float("+3"), 3.0);
  EXPECT_EQ(parse_prometheus_float("+Inf"), INFINITY);
  EXPECT_EQ(parse_prometheus_float("Inf"), INFINITY);
  EXPECT_EQ(parse_prometheus_float("-Inf"), -INFINITY);
  EXPECT_EQ(parse_prometheus_float("1e400"), INFINITY);
  EXPECT_EQ(parse_prometheus_float("1e-400"), 0.0);
  ASSERT_TRUE(parse_prometheus_float("NaN").has_value());
  EXPECT_TRUE(std::isnan(*parse_prometheus_float("NaN")));
  EXPECT_FALSE(parse_prometheus_float("").has_value());
  EXPECT_FALSE(parse_prometheus_float("1,5").has_value());
  EXPECT_FALSE(parse_prometheus_float("12abc").has_value());
  EXPECT_FALSE(parse_prometheus_float("++1").has_value());
  EXPECT_FALSE(parse_prometheus_float("-").has_value());
}

TEST(PromTextTest, ReadsMillisecondAndOpenMetricsTimestamps) {
  const PromParseResult r =
      parse_prometheus_text("a 1 1700000000123\nb 2 -5\nc 3 1700000000.5\nd 4 soon\n");
  ASSERT_EQ(r.samples.size(), 3u);
  EXPECT_EQ(r.samples[0].timestamp_ms, 1700000000123);
  EXPECT_EQ(r.samples[1].timestamp_ms, -5);
  EXPECT_EQ(r.samples[2].timestamp_ms, 1700000000500);
  EXPECT_EQ(r.skipped_lines, 1u);
  EXPECT_EQ(r.first_error, "line 4: \"soon\" is not a timestamp");
}

TEST(PromTextTest, IgnoresExemplarsAndOddSpacing) {
  const PromParseResult r = parse_prometheus_text(
      "req_total{a=\"1\"} 5 # {trace_id=\"abc\"} 1.0 1700000000.1\n"
      "req_total { a = \"2\" , b=\"x,y}#=\" } 6\n"
      "req_total{} 7 1700000000000 # {trace_id=\"d\"} 2\n");
  ASSERT_EQ(r.skipped_lines, 0u) << r.first_error;
  ASSERT_EQ(r.samples.size(), 3u);
  EXPECT_EQ(r.samples[0].value, 5);
  EXPECT_EQ(*r.samples[1].label("b"), "x,y}#=");
  EXPECT_EQ(*r.samples[1].label("a"), "2");
  EXPECT_TRUE(r.samples[2].labels.empty());
  EXPECT_EQ(r.samples[2].timestamp_ms, 1700000000000);
}

TEST(PromTextTest, SkipsAndCountsMalformedLines) {
  const PromParseResult r = parse_prometheus_text(
      "good 1\n"
      "no_value\n"
      "unterminated{a=\"x} 1\n"
      "unquoted{a=x} 1\n"
      "{a=\"b\"} 1\n"
      "missing_comma{a=\"1\" b=\"2\"} 1\n"
      "trailing 1 2 3\n"
      "9starts_with_digit 1\n"
      "also_good 2\n");
  EXPECT_EQ(r.samples.size(), 2u);
  EXPECT_EQ(r.skipped_lines, 7u);
  EXPECT_EQ(r.first_error, "line 2: expected a value after no_value");
  EXPECT_EQ(r.samples.back().name, "also_good");
}

TEST(PromTextTest, ExplainsEachKindOfMalformedLine) {
  auto why = [](const std::string& line) { return parse_prometheus_text(line).first_error; };
  EXPECT_THAT(why("x{a=\"1} 2"), HasSubstr("unterminated value of label a"));
  EXPECT_THAT(why("x{a=\"1\""), HasSubstr("expected ',' or '}' after label a"));
  EXPECT_THAT(why("x{a=1} 2"), HasSubstr("expected a quoted value for label a"));
  EXPECT_THAT(why("x{a} 2"), HasSubstr("expected '=' after label a"));
  EXPECT_THAT(why("x{a=\"1\" b=\"2\"} 2"), HasSubstr("expected ',' or '}' after label a"));
  EXPECT_THAT(why("x{,} 2"), HasSubstr("expected a label name"));
  EXPECT_THAT(why("x 1 2 3"), HasSubstr("unexpected text after the timestamp"));
  EXPECT_THAT(why("<html>"), HasSubstr("expected a metric name"));
}

TEST(PromTextTest, AcceptsEmptyAndCommentOnlyInput) {
  EXPECT_TRUE(parse_prometheus_text("").samples.empty());
  const PromParseResult r = parse_prometheus_text("# HELP x y\r\n\r\n   \n# EOF");
  EXPECT_TRUE(r.samples.empty());
  EXPECT_EQ(r.skipped_lines, 0u);
}

TEST(PromTextTest, CountsEveryLineOfGarbage) {
  const PromParseResult r =
      parse_prometheus_text("<!doctype html>\n<html><body>Not found</body></html>\n\x01\x02\x03");
  EXPECT_TRUE(r.samples.empty());
  EXPECT_EQ(r.skipped_lines, 3u);
  EXPECT_THAT(r.first_error, HasSubstr("line 1:"));
}

}  // namespace
}  // namespace resync::plugin

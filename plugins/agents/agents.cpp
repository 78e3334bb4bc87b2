// SPDX-License-Identifier: MIT
// The `agents` collector: agent and LLM usage counters of a Resync service, read from its
// Prometheus /metrics (source: prometheus) or from any JSON document by JSON pointer (source:
// json).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agents_json.hpp"
#include "resync/plugin/http.hpp"
#include "resync/plugin/plugin.hpp"
#include "resync/plugin/prom_text.hpp"

namespace resync::plugin {
namespace {

using agents::parse_json_document;
using agents::resolve_number;
using agents::split_pointer;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

constexpr resync_series_desc kSeries[] = {
    {"agents_active", RESYNC_UNIT_COUNT, RESYNC_KIND_GAUGE, "Agents currently active.",
     "agents.active", "agents.active", RESYNC_SERIES_TREND},
    {"agents_created", RESYNC_UNIT_COUNT, RESYNC_KIND_COUNTER, "Agents created since start.",
     "agents.created_total", "agents.created", 0},
    {"agents_failed", RESYNC_UNIT_COUNT, RESYNC_KIND_COUNTER,
     "Agent creations that failed since start.", "agents.failed_total", nullptr, 0},
    {"llm_requests", RESYNC_UNIT_COUNT, RESYNC_KIND_COUNTER, "LLM requests made since start.",
     "llm.requests", nullptr, 0},
    {"llm_tokens_used", RESYNC_UNIT_COUNT, RESYNC_KIND_COUNTER, "LLM tokens used since start.",
     "llm.tokens_used", nullptr, 0},
    {"llm_errors", RESYNC_UNIT_COUNT, RESYNC_KIND_COUNTER, "LLM requests that failed since start.",
     "llm.errors", nullptr, 0},
};

// How the dashboard and the report show these series: the cards and charts of the original
// Resync dashboard.
constexpr resync_series_hint kHints[] = {
    {"agents_active", nullptr, "active", "Active agents", RESYNC_HINT_HEADLINE},
    {"agents_created", nullptr, "created", nullptr, RESYNC_HINT_NO_CHART},
    {"agents_failed", nullptr, "failed", nullptr, RESYNC_HINT_NO_CHART},
    {"llm_requests", nullptr, "LLM calls", "LLM calls", 0},
    {"llm_tokens_used", nullptr, "tokens", nullptr, RESYNC_HINT_NO_CHART},
    {"llm_errors", nullptr, "LLM errors", nullptr, RESYNC_HINT_NO_CHART},
};
constexpr resync_presentation kPresentation = {
    sizeof(resync_presentation), "Agents", 30, kHints, std::size(kHints),
    sizeof(resync_series_hint)};

// SPEC section 4: what a Resync service calls these series on its /metrics.
const std::map<std::string, std::string> kDefaultMetrics = {
    {"agents_active", "resync_agent_active_count"},
    {"agents_created", "resync_agent_initializations"},
    {"agents_failed", "resync_agent_creation_failures"},
    {"llm_requests", "resync_llm_requests"},
    {"llm_tokens_used", "resync_llm_tokens"},
    {"llm_errors", "resync_llm_errors"}};

bool is_series(const std::string& name) {
  for (const resync_series_desc& s : kSeries) {
    if (name == s.name) return true;
  }
  return false;
}

// Where each series sits in a document shaped like /api/monitoring/current, Resync's and ours
// alike: at its own /current field (agents_active at /agents/active).
std::map<std::string, std::string> current_field_pointers() {
  std::map<std::string, std::string> pointers;
  for (const resync_series_desc& s : kSeries) {
    std::string pointer = std::string("/") + s.current_field;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    pointers.emplace(s.name, std::move(pointer));
  }
  return pointers;
}

std::string series_list() {
  std::string list;
  for (const resync_series_desc& s : kSeries)
    list += (list.empty() ? "" : ", ") + std::string(s.name);
  return list;
}

class AgentsCollector final : public CollectorBase {
 public:
  explicit AgentsCollector(Options& o) {
    source_ = o.get_choice("source", "prometheus", {"prometheus", "json"});
    url_ = require_url(o);
    shown_ = display_url(url_);
    http_.timeout = o.timeout() * 9 / 10;  // the rest of the deadline is for parsing and emitting
    http_.bearer_token = o.get_string("token");
    read_tls_options(o, http_, url_);

    if (source_ == "prometheus") {
      metrics_ = kDefaultMetrics;
      for (const auto& [series, metric] : o.get_string_map("metrics")) {
        if (!is_series(series))
          throw OptionError("metrics." + series,
                            "unknown series; expected one of " + series_list());
        if (metric.empty()) throw OptionError("metrics." + series, "must name a metric");
        metrics_[series] = metric;
      }
    } else {
      std::map<std::string, std::string> pointers = o.get_string_map("pointers");
      if (pointers.empty()) pointers = current_field_pointers();
      for (const auto& [series, pointer] : pointers) {
        if (!is_series(series))
          throw OptionError("pointers." + series,
                            "unknown series; expected one of " + series_list());
        std::optional<std::vector<std::string>> tokens = split_pointer(pointer);
        if (!tokens) {
          throw OptionError(
              "pointers." + series,
              "\"" + pointer + "\" is not a JSON pointer (RFC 6901), e.g. /agents/active");
        }
        pointers_.emplace_back(series, std::move(*tokens));
      }
    }
  }

  void collect(const Emitter& emit) override {
    try {
      const HttpResponse response = http_get(url_, http_);
      if (response.status < 200 || response.status > 299) {
        throw std::runtime_error("GET " + shown_ + ": HTTP " + std::to_string(response.status) +
                                 " " + response.reason);
      }
      std::vector<std::string> missing;
      if (source_ == "prometheus") {
        collect_prometheus(response.body, emit, missing);
      } else {
        collect_json(response.body, emit, missing);
      }
      std::string status = "ok";
      if (!missing.empty()) {
        status += "; no value for";
        for (size_t i = 0; i < missing.size(); ++i) status += (i ? ", " : " ") + missing[i];
      }
      set_status(std::move(status));
    } catch (const std::exception& e) {
      set_status(std::string("down: ") + e.what());
      throw;
    }
  }

 private:
  void collect_prometheus(const std::string& body, const Emitter& emit,
                          std::vector<std::string>& missing) {
    const PromParseResult scrape = parse_prometheus_text(body);
    if (scrape.samples.empty() && scrape.skipped_lines > 0) {
      throw std::runtime_error("GET " + shown_ + ": not Prometheus text format (" +
                               scrape.first_error + ")");
    }
    for (const auto& [series, metric] : metrics_) {
      const std::optional<double> sum = sum_samples(scrape, metric);
      if (!sum) missing.push_back(series + " (" + metric + ")");
      emit(series.c_str(), sum ? *sum : kNaN);
    }
  }

  void collect_json(const std::string& body, const Emitter& emit,
                    std::vector<std::string>& missing) {
    Poco::Dynamic::Var root;
    try {
      root = parse_json_document(body);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error("GET " + shown_ + ": " + e.what());
    }
    for (const auto& [series, tokens] : pointers_) {
      std::string why;
      const double v = resolve_number(root, tokens, why);
      if (!why.empty()) missing.push_back(series + " (" + why + ")");
      emit(series.c_str(), v);
    }
  }

  std::string source_;
  std::string url_;
  std::string shown_;
  HttpOptions http_;
  std::map<std::string, std::string> metrics_;
  std::vector<std::pair<std::string, std::vector<std::string>>> pointers_;
};

}  // namespace
}  // namespace resync::plugin

RESYNC_DEFINE_PLUGIN_WITH_HINTS_AND_RULES(
    resync::plugin::AgentsCollector, "agents",
    "Resync agents and LLM usage from Prometheus /metrics or a JSON document (JSON pointers)",
    resync::plugin::kSeries, nullptr, resync::plugin::kPresentation, nullptr)

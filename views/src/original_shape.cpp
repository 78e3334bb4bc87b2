// SPDX-License-Identifier: MIT
#include "original_shape.hpp"

namespace resync::views::detail {
namespace {

using K = FieldNode::Kind;

struct OriginalField {
  const char* current;  ///< path in /current; nullptr for a column /current never had
  K kind;               ///< what /current shows when no series fills it
  const char* history;  ///< path of its column in /history; nullptr when it had none
};

// The one place outside the plugins that names their fields: the documents of the original
// Resync dashboard, which its clients read by these names, so they stay byte for byte whatever
// plugins are loaded. The plugins fill them (through their series' current_field and
// history_field) and may add sections after them. Rows are in /current's order, and /history's
// columns come in the order of the rows that name one.
constexpr OriginalField kOriginal[] = {
    {"api.requests_per_sec", K::kZero, "api.requests_per_sec"},
    {"api.requests_total", K::kZero, nullptr},
    {"api.error_rate", K::kZero, "api.error_rate"},
    {"api.error_count", K::kZero, nullptr},
    {"api.response_time_p50", K::kZero, "api.response_time_p50"},
    {"api.response_time_p95", K::kZero, "api.response_time_p95"},
    {"api.response_time_avg", K::kZero, nullptr},
    {"api.trend", K::kTrend, nullptr},
    {"cache.hit_ratio", K::kZero, "cache.hit_ratio"},
    {"cache.hits", K::kZero, nullptr},
    {"cache.misses", K::kZero, nullptr},
    {nullptr, K::kZero, "cache.operations"},  // hits + misses per sample: /history only
    {"cache.size", K::kZero, nullptr},
    {"cache.evictions", K::kZero, nullptr},
    {"cache.trend", K::kTrend, nullptr},
    {"agents.active", K::kZero, "agents.active"},
    {"agents.created_total", K::kZero, "agents.created"},
    {"agents.failed_total", K::kZero, nullptr},
    {"agents.trend", K::kTrend, nullptr},
    {"llm.requests", K::kZero, nullptr},
    {"llm.tokens_used", K::kZero, nullptr},
    {"llm.errors", K::kZero, nullptr},
    // /history lists the latency before the connection, /current the other way round.
    {"tws.connected", K::kFalse, nullptr},
    {"tws.latency_ms", K::kZero, "tws.latency"},
    {nullptr, K::kZero, "tws.connected"},
    {"tws.requests_success", K::kZero, nullptr},
    {"tws.requests_failed", K::kZero, nullptr},
    {"tws.status", K::kText, nullptr},
    {"tws.jobs.error", K::kZero, nullptr},
    {"tws.jobs.running", K::kZero, nullptr},
    {"tws.jobs.waiting", K::kZero, nullptr},
    {"tws.jobs.done", K::kZero, nullptr},
    {"system.availability", K::kZero, nullptr},
    {"system.async_operations", K::kZero, nullptr},
    {"system.correlation_ids", K::kSpecial, nullptr},
    {"alerts", K::kSpecial, nullptr},
    {"host.cpu_percent", K::kZero, "host.cpu_percent"},
    {"host.memory_percent", K::kZero, "host.memory_percent"},
    {"host.load1", K::kZero, "host.load1"},
    {"host.process_rss_bytes", K::kZero, nullptr},
};

}  // namespace

const ShapeDefaults& original_current_shape() {
  static const ShapeDefaults kShape = [] {
    ShapeDefaults s;
    for (const OriginalField& f : kOriginal) {
      if (f.current) s.emplace_back(f.current, f.kind);
    }
    return s;
  }();
  return kShape;
}

const ShapeDefaults& original_history_shape() {
  static const ShapeDefaults kShape = [] {
    ShapeDefaults s;
    for (const OriginalField& f : kOriginal) {
      if (f.history) s.emplace_back(f.history, K::kZero);
    }
    return s;
  }();
  return kShape;
}

}  // namespace resync::views::detail

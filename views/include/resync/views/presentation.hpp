// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "resync/alert_engine.hpp"
#include "resync/snapshot.hpp"

/// The screens' presentation model (SPEC section 7, GET /api/monitoring/layout): the cards and
/// charts of the dashboard and the report, derived from the series descriptions and their
/// plugins' hints alone, so any plugin's series get a card and a chart with no host code written
/// for that plugin. Plain data, built once per layout; every function is pure over its arguments.
namespace resync::views {

/// One level of an alert rule, for status colours and the charts' dashed lines.
struct Threshold {
  Severity severity = Severity::kWarning;
  Comparison comparison = Comparison::kAbove;
  double value = 0;
};

/// One value on a card: the newest sample of a series (its first instance, as /current shows).
struct LayoutField {
  size_t column = 0;  ///< in the snapshot's store
  std::string metric, instance, label;
  std::string current;  ///< its /current path ("section.field"); "" when it has none
  Unit unit = Unit::kCount;
  Kind kind = Kind::kGauge;
  bool headline = false;
  std::vector<Threshold> thresholds;  ///< the rules on this metric
};

/// One card: a plugin's card, or one of the cards its hints spread its series over.
struct LayoutCard {
  std::string id;  ///< "card-<plugin>-<title>", [a-z0-9-]
  std::string title, plugin;
  std::vector<LayoutField> fields;  ///< headline fields first (at most two), then the others
  std::string trend;                ///< /current path of the trend shown on it ("api.trend"), or ""
  size_t trend_column = SIZE_MAX;   ///< the series the trend is computed from
  std::string status;  ///< /current path of its collector's status text ("tws.status"), or ""
};

/// The /history object holding, by metric, the stored values of every chart line that has no
/// column of its own there (see LayoutLine::history).
inline constexpr const char* kHistorySeries = "series";

/// One line of a chart.
struct LayoutLine {
  size_t column = 0;
  std::string metric, instance, label;
  std::string current;  ///< /current path for live samples, or ""
  /// /history path for the window: the series' own column, else "series.<metric>" (its values
  /// as stored, a counter's cumulative ones).
  std::string history;
  bool rate = false;      ///< a counter drawn as its rate per second
  bool increase = false;  ///< its /history column holds the increase per sample already
  int color = 1;          ///< 1..6: --series-N
};

/// One chart: lines of one unit, on one axis.
struct LayoutChart {
  std::string id, title, plugin;
  Unit unit = Unit::kCount;  ///< the unit drawn (kPerSecond for counters drawn as rates)
  bool percent = false;      ///< a 0..100 scale
  std::vector<LayoutLine> lines;
  std::vector<Threshold> thresholds;  ///< dashed lines
};

struct Presentation {
  std::vector<LayoutCard> cards;
  std::vector<LayoutChart> charts;
  std::vector<std::string> plugins;       ///< configured, in configuration order
  std::vector<std::string> unconfigured;  ///< found but not configured, sorted
};

/// The model of `snap`'s series, rules and plugins. Host series (collector_up, duration) belong
/// to the collectors table, not to cards.
Presentation build_presentation(const MonitorSnapshot& snap);

/// GET /api/monitoring/layout: the model as JSON.
std::string render_layout(const MonitorSnapshot& snap);

/// The worst severity whose threshold `value` crosses: 0 none, 1 warning, 2 critical. NaN is 0.
int threshold_level(const std::vector<Threshold>& thresholds, double value);

}  // namespace resync::views

// SPDX-License-Identifier: MIT
// The presentation model: cards and charts from the series descriptions, the plugins' hints and
// the alert rules. Nothing here names a plugin or a series.
#include "resync/views/presentation.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <set>

#include "resync/catalog.hpp"

namespace resync::views {
namespace {

constexpr int kColors = 6;  // --series-1 .. --series-6

// [a-z0-9-] only: ids go into HTML attributes and CSS selectors.
std::string slug(std::string_view text) {
  std::string out;
  for (char c : text) {
    const char l = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    const bool keep = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (keep)
      out += l;
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

// "queue_oldest_age_seconds" -> "oldest age seconds": the field's name in its /current section
// when it has one (the section already says whose it is), else the series name.
std::string default_label(const SeriesDescription& d) {
  std::string out =
      d.current_field.empty() ? d.name : d.current_field.substr(d.current_field.find('.') + 1);
  std::replace(out.begin(), out.end(), '_', ' ');
  std::replace(out.begin(), out.end(), '.', ' ');
  return out;
}

// "queue_depth" -> "Queue depth": a card named after a plugin that gave no title.
std::string default_title(const std::string& plugin) {
  std::string out = plugin;
  std::replace(out.begin(), out.end(), '_', ' ');
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

std::vector<Threshold> thresholds_of(const MonitorSnapshot& snap, const SeriesKey& key) {
  std::vector<Threshold> out;
  if (!snap.rules) return out;
  for (const AlertRule& rule : *snap.rules) {
    if (rule.metric != key.metric || (!rule.instance.empty() && rule.instance != key.instance))
      continue;
    for (const AlertCondition& c : rule.conditions)
      out.push_back({c.severity, c.comparison, c.threshold});
  }
  return out;
}

// Counters are cumulative: a chart of one only ever climbs, so it is drawn as its rate.
Unit drawn_unit(const SeriesDescription& d) {
  return d.kind == Kind::kCounter ? Unit::kPerSecond : d.unit;
}

std::string unit_word(Unit u) {
  const std::string_view symbol = unit_symbol(u);
  return symbol.empty() ? std::string(unit_name(u)) : std::string(symbol);
}

struct CardBuild {
  LayoutCard card;
  int order = INT_MAX;
  size_t first_seen = 0;
};

void add_field(CardBuild& b, const MonitorSnapshot& snap, size_t column) {
  const SeriesKey& key = snap.keys()[column];
  const SeriesDescription& d = key.description;
  LayoutField f;
  f.column = column;
  f.metric = key.metric;
  f.instance = key.instance;
  f.label = d.label.empty() ? default_label(d) : d.label;
  f.current = d.current_field;
  f.unit = d.unit;
  f.kind = d.kind;
  f.headline = (d.hint_flags & hint_flags::kHeadline) != 0;
  f.thresholds = thresholds_of(snap, key);
  if ((d.flags & series_flags::kTrend) && !d.current_field.empty() && b.card.trend.empty()) {
    b.card.trend = d.current_field.substr(0, d.current_field.find('.')) + ".trend";
    b.card.trend_column = column;
  }
  b.card.fields.push_back(std::move(f));
}

// Headline fields first, at most two; a card without a hinted one leads with its first value
// that /current shows (a gauge rather than a cumulative total when it has one).
void order_fields(LayoutCard& card) {
  std::stable_partition(card.fields.begin(), card.fields.end(),
                        [](const LayoutField& f) { return f.headline; });
  size_t headlines = 0;
  for (LayoutField& f : card.fields) f.headline = f.headline && ++headlines <= 2;
  if (headlines || card.fields.empty()) return;
  auto lead = std::find_if(card.fields.begin(), card.fields.end(), [](const LayoutField& f) {
    return !f.current.empty() && f.kind == Kind::kGauge;
  });
  if (lead == card.fields.end()) lead = card.fields.begin();
  lead->headline = true;
  std::rotate(card.fields.begin(), lead, lead + 1);
}

// Series of the first instance of each plugin, grouped into cards, in the plugins' order.
std::vector<CardBuild> build_cards(const MonitorSnapshot& snap) {
  std::vector<CardBuild> builds;
  std::map<std::string, std::string> first_instance;  // plugin -> instance
  const std::vector<SeriesKey>& keys = snap.keys();
  for (size_t c = 0; c < keys.size(); ++c) {
    const SeriesKey& key = keys[c];
    if (is_host_series(key.metric)) continue;
    const auto [it, fresh] = first_instance.emplace(key.plugin, key.instance);
    if (!fresh && it->second != key.instance) continue;
    const SeriesDescription& d = key.description;
    const std::string title = d.card.empty() ? default_title(key.plugin) : d.card;
    const std::string id = "card-" + slug(key.plugin) + "-" + slug(title);
    auto b = std::find_if(builds.begin(), builds.end(),
                          [&](const CardBuild& x) { return x.card.id == id; });
    if (b == builds.end()) {
      CardBuild fresh_card;
      fresh_card.card.id = id;
      fresh_card.card.title = title;
      fresh_card.card.plugin = key.plugin;
      fresh_card.order = d.order ? d.order : INT_MAX;
      fresh_card.first_seen = builds.size();
      builds.push_back(std::move(fresh_card));
      b = builds.end() - 1;
    }
    add_field(*b, snap, c);
  }
  std::stable_sort(builds.begin(), builds.end(), [](const CardBuild& a, const CardBuild& b) {
    return a.order != b.order ? a.order < b.order : a.first_seen < b.first_seen;
  });
  std::set<std::string> with_status;
  for (CardBuild& b : builds) {
    order_fields(b.card);
    const auto status = snap.status_fields.find(b.card.plugin);
    if (status != snap.status_fields.end() && with_status.insert(b.card.plugin).second)
      b.card.status = status->second;
  }
  return builds;
}

bool shared_history(const MonitorSnapshot& snap, size_t column) {
  const SeriesKey& key = snap.keys()[column];
  if (key.description.history_field.empty()) return false;
  for (const SeriesKey& other : snap.keys()) {
    if (&other != &key && other.instance == key.instance &&
        other.description.history_field == key.description.history_field)
      return true;
  }
  return false;
}

// The card's series in charts: one per hinted title and unit, else one per unit; a unit never
// shares an axis with another, whatever the hints say.
void add_charts(const MonitorSnapshot& snap, const LayoutCard& card,
                std::vector<LayoutChart>& charts) {
  std::set<Unit> units;
  for (const LayoutField& f : card.fields)
    units.insert(drawn_unit(snap.keys()[f.column].description));
  const size_t first = charts.size();
  for (const LayoutField& f : card.fields) {
    const SeriesDescription& d = snap.keys()[f.column].description;
    if (d.hint_flags & hint_flags::kNoChart) continue;
    const Unit unit = drawn_unit(d);
    std::string title = d.chart.empty() ? card.title : d.chart;
    const std::string id =
        "chart-" + slug(card.plugin) + "-" + slug(title) + "-" + slug(unit_name(unit));
    if (d.chart.empty() && units.size() > 1) title += " (" + unit_word(unit) + ")";
    auto chart = std::find_if(charts.begin() + static_cast<std::ptrdiff_t>(first), charts.end(),
                              [&](const LayoutChart& c) { return c.id == id; });
    if (chart == charts.end()) {
      LayoutChart fresh;
      fresh.id = id;
      fresh.title = title;
      fresh.plugin = card.plugin;
      fresh.unit = unit;
      fresh.percent = unit == Unit::kPercent;
      charts.push_back(std::move(fresh));
      chart = charts.end() - 1;
    }
    LayoutLine line;
    line.column = f.column;
    line.metric = f.metric;
    line.instance = f.instance;
    line.rate = d.kind == Kind::kCounter;
    line.label = f.label + (line.rate && d.unit != Unit::kPerSecond ? "/s" : "");
    line.current = d.current_field;
    // A line without a /history column of its own (none described, or one that several series
    // sum, like cache.operations = hits + misses) finds its stored values in /history's
    // `series`: every chart fills from /history when the page loads.
    const bool own = !d.history_field.empty() && !shared_history(snap, f.column);
    line.history = own ? d.history_field : std::string(kHistorySeries) + "." + f.metric;
    line.increase = own && (d.flags & series_flags::kHistoryIncrease) != 0;
    line.color = static_cast<int>(chart->lines.size()) % kColors + 1;
    if (!line.rate) {
      for (const Threshold& t : f.thresholds) chart->thresholds.push_back(t);
    }
    chart->lines.push_back(std::move(line));
  }
}

}  // namespace

Presentation build_presentation(const MonitorSnapshot& snap) {
  Presentation p;
  for (CardBuild& b : build_cards(snap)) {
    if (std::find(p.plugins.begin(), p.plugins.end(), b.card.plugin) == p.plugins.end())
      p.plugins.push_back(b.card.plugin);
    add_charts(snap, b.card, p.charts);
    p.cards.push_back(std::move(b.card));
  }
  // A collector whose every series is a host series still counts as configured.
  for (const SeriesKey& key : snap.keys()) {
    if (std::find(p.plugins.begin(), p.plugins.end(), key.plugin) == p.plugins.end())
      p.plugins.push_back(key.plugin);
  }
  if (snap.unconfigured_plugins) {
    for (const std::string& name : *snap.unconfigured_plugins) {
      if (std::find(p.plugins.begin(), p.plugins.end(), name) == p.plugins.end())
        p.unconfigured.push_back(name);
    }
  }
  return p;
}

int threshold_level(const std::vector<Threshold>& thresholds, double v) {
  int level = 0;
  if (std::isnan(v)) return 0;
  for (const Threshold& t : thresholds) {
    bool crossed = false;
    switch (t.comparison) {
      case Comparison::kAbove:
        crossed = v > t.value;
        break;
      case Comparison::kAtLeast:
        crossed = v >= t.value;
        break;
      case Comparison::kBelow:
        crossed = v < t.value;
        break;
      case Comparison::kAtMost:
        crossed = v <= t.value;
        break;
      case Comparison::kEquals:
        crossed = v == t.value;
        break;
    }
    if (crossed) level = std::max(level, t.severity == Severity::kCritical ? 2 : 1);
  }
  return level;
}

}  // namespace resync::views

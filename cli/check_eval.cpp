// SPDX-License-Identifier: MIT
#include "check_eval.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "resync/catalog.hpp"
#include "resync/util/duration.hpp"
#include "resync/views/history_export.hpp"
#include "resync/views/json.hpp"

namespace resync::cli {
namespace {

const char* const kStatusNames[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

// Perfdata values are plain decimals: the guidelines' [-0-9.] has no exponent.
std::string perf_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  std::string s = buf;
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

// UOM of the guidelines: s, ms (Nagios reads us, ms, s), %, B, c; none for the rest.
std::string uom(const SeriesDescription& d) {
  if (d.kind == Kind::kCounter) return "c";
  switch (d.unit) {
    case Unit::kSeconds:
      return "s";
    case Unit::kMilliseconds:
      return "ms";
    case Unit::kPercent:
      return "%";
    case Unit::kBytes:
      return "B";
    default:
      return "";
  }
}

// 'label'=value[UOM];warn;crit;min;max with trailing empty fields dropped.
std::string perfdata(const std::string& label, double v, const SeriesDescription& d,
                     const std::string& warn, const std::string& crit) {
  std::string name;
  for (char c : label) {
    if (c == '\'')
      name += "''";
    else
      name += c == '=' ? '_' : c;
  }
  std::string min, max;
  if (d.unit == Unit::kPercent) max = "100";
  if (d.unit == Unit::kBoolean) max = "1";
  if (!max.empty() || d.kind == Kind::kCounter) min = "0";
  std::string out = "'" + name + "'=" + (std::isnan(v) ? "U" : perf_number(v) + uom(d)) + ";" +
                    warn + ";" + crit + ";" + min + ";" + max;
  out.erase(out.find_last_not_of(';') + 1);
  return out;
}

// A rule's threshold as a range: alert above X is "~:X", below X is "X:", equals X is "@X:X".
// (>= and <= differ from > and < only at the threshold itself, which ranges cannot say.)
std::string rule_range(const AlertRule& rule, Severity severity) {
  for (const AlertCondition& c : rule.conditions) {
    if (c.severity != severity) continue;
    const std::string x = perf_number(c.threshold);
    switch (c.comparison) {
      case Comparison::kAbove:
      case Comparison::kAtLeast:
        return "~:" + x;
      case Comparison::kBelow:
      case Comparison::kAtMost:
        return x + ":";
      case Comparison::kEquals:
        return "@" + x + ":" + x;
    }
  }
  return "";
}

std::string with_unit(double v, const SeriesDescription& d) {
  const std::string_view symbol = unit_symbol(d.unit);
  return perf_number(v) + (symbol.empty() ? "" : " " + std::string(symbol));
}

CheckResult finish(int status, const std::string& reason, const std::vector<std::string>& perf) {
  CheckResult r;
  r.status = status;
  r.line = std::string("RESYNC-MON ") + kStatusNames[status] + " - " + reason;
  if (!perf.empty()) r.line += " |";
  for (const std::string& p : perf) r.line += " " + p;
  return r;
}

std::vector<Alert> replay(const MonitorSnapshot& snap, std::vector<AlertRule> rules,
                          bool ignore_for) {
  if (ignore_for) {
    for (AlertRule& rule : rules) rule.for_duration = std::chrono::milliseconds{0};
  }
  SeriesLayout layout;
  for (const SeriesKey& k : snap.keys()) layout.add(k);
  AlertEngine engine(std::move(rules), layout);
  const StoreSnapshot& s = snap.store;
  std::vector<double> row(s.series_count), previous(s.series_count);
  for (size_t r = 0; r < s.rows; ++r) {
    for (size_t c = 0; c < s.series_count; ++c) row[c] = s.at(c, r);
    engine.evaluate(s.timestamps_ms[r], row.data(), r ? previous.data() : nullptr);
    row.swap(previous);
  }
  return engine.active();
}

}  // namespace

CheckResult unknown_result(const std::string& why) { return finish(3, why, {}); }

CheckResult evaluate_check(const MonitorSnapshot& snap, const std::vector<AlertRule>& rules,
                           AlertSource alerts, const CheckOptions& options, int64_t now_ms) {
  const StoreSnapshot& s = snap.store;
  if (s.empty()) return unknown_result("no sample yet in " + snap.source);
  const size_t newest = s.rows - 1;
  const int64_t age_ms = now_ms - s.timestamps_ms[newest];
  const auto limit = options.max_age.count() > 0 ? options.max_age : snap.interval * 3;
  if (age_ms > limit.count()) {
    return unknown_result("newest sample of " + snap.source + " is " +
                          std::to_string(age_ms / 1000) + " s old (" +
                          views::format_iso8601(s.timestamps_ms[newest]) + "), older than " +
                          format_duration(limit) + " (--max-age)");
  }
  const std::vector<SeriesKey>& keys = snap.keys();
  const std::vector<std::string> labels = views::series_labels(snap);
  std::vector<std::string> perf;

  if (!options.metric.empty()) {
    const std::string warn = options.warning ? options.warning->text : "";
    const std::string crit = options.critical ? options.critical->text : "";
    int status = 0;
    std::string reason, missing;
    size_t found = 0;
    for (size_t c = 0; c < keys.size(); ++c) {
      if (keys[c].metric != options.metric) continue;
      ++found;
      const double v = s.at(c, newest);
      const SeriesDescription& d = keys[c].description;
      perf.push_back(perfdata(labels[c], v, d, warn, crit));
      if (std::isnan(v)) {
        missing = labels[c] + " has no value in the newest sample (is collector " +
                  keys[c].instance + " up?)";
        continue;
      }
      const int level = options.critical && options.critical->alerts(v) ? 2
                        : options.warning && options.warning->alerts(v) ? 1
                                                                        : 0;
      const std::string text = labels[c] + " is " + with_unit(v, d) +
                               (level == 2   ? " (outside -c " + crit + ")"
                                : level == 1 ? " (outside -w " + warn + ")"
                                             : "");
      if (reason.empty() || level > status) reason = text;
      status = std::max(status, level);
    }
    if (found == 0) {
      std::vector<std::string> names;
      for (const SeriesKey& k : keys) {
        if (std::find(names.begin(), names.end(), k.metric) == names.end())
          names.push_back(k.metric);
      }
      std::string known;
      for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
      return unknown_result("no series \"" + options.metric + "\" in " + snap.source +
                            "; known: " + known);
    }
    if (!missing.empty()) return finish(3, missing, perf);
    return finish(status, reason, perf);
  }

  std::vector<size_t> judged;
  for (const AlertRule& rule : rules) {
    for (size_t c = 0; c < keys.size(); ++c) {
      if (keys[c].metric != rule.metric ||
          std::find(judged.begin(), judged.end(), c) != judged.end())
        continue;
      judged.push_back(c);
      perf.push_back(perfdata(labels[c], s.at(c, newest), keys[c].description,
                              rule_range(rule, Severity::kWarning),
                              rule_range(rule, Severity::kCritical)));
    }
  }
  std::vector<Alert> active = alerts == AlertSource::kSnapshotActive
                                  ? snap.active
                                  : replay(snap, rules, alerts == AlertSource::kReplayNoFor);
  std::stable_sort(active.begin(), active.end(), [](const Alert& a, const Alert& b) {
    return a.severity == Severity::kCritical && b.severity != Severity::kCritical;
  });
  std::vector<std::string> reasons;
  int status = 0;
  for (const Alert& a : active) {
    reasons.push_back(a.message);
    status = std::max(status, a.severity == Severity::kCritical ? 2 : 1);
  }
  // A collector that failed its run leaves its series empty, so no rule can fire on them: say so.
  for (size_t c = 0; c < keys.size(); ++c) {
    if (keys[c].metric != kCollectorUp || s.at(c, newest) != 0) continue;
    std::string why;
    for (const CollectorHealth& h : snap.health) {
      if (h.name == keys[c].instance && !h.last_error.empty()) why = ": " + h.last_error;
    }
    reasons.push_back("collector " + keys[c].instance + " is down" + why);
    status = std::max(status, 1);
  }
  if (reasons.empty()) {
    return finish(0,
                  "no alert (" + std::to_string(rules.size()) + " rules, sample of " +
                      views::format_iso8601(s.timestamps_ms[newest]) + ")",
                  perf);
  }
  std::string reason = reasons[0];
  if (reasons.size() > 1) reason += " (+" + std::to_string(reasons.size() - 1) + " more)";
  return finish(status, reason, perf);
}

}  // namespace resync::cli

// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "resync/alert_engine.hpp"
#include "resync/series.hpp"

namespace resync::views {

/// What the Prometheus rule export reads: the alert rules in effect (the engine's, defaults
/// included), the series the configured collectors declare, the sample interval and the dashboard
/// link resync-mon's own notifications carry.
struct RuleExport {
  std::vector<AlertRule> rules;
  std::vector<SeriesKey> series;  ///< the layout's keys: which instance has which metric
  std::chrono::milliseconds interval{5000};
  std::string dashboard_url;
  std::string source;  ///< the configuration it came from, named in the header comment
};

/// The rules as a Prometheus 2.42 rule file (one group, evaluated every `interval`) over the
/// series /metrics exports: an alerting rule per severity, `absent_for` a branch of the rule of
/// its severity (or a rule of its own), with the labels resync-mon sends to Alertmanager
/// (alertname, severity, instance, metric) so that both senders' alerts merge. A rule whose
/// metric no configured collector has is a comment. Returns one line per thing PromQL cannot say
/// (flapping detection) or says otherwise (keep_firing_for across two severities), each also a
/// comment in the file.
std::vector<std::string> render_prometheus_rules(std::ostream& out, const RuleExport& in);
std::string render_prometheus_rules(const RuleExport& in,
                                    std::vector<std::string>* notes = nullptr);

/// A duration as Prometheus reads it, in its largest exact unit: "5s", "1500ms", "2h".
std::string prometheus_duration(std::chrono::milliseconds d);

}  // namespace resync::views

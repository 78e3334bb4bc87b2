// SPDX-License-Identifier: MIT
// The report's cards and charts: the live dashboard's layout (templates/dashboard/index.html and
// charts.js) over the /current and /history fields that the series descriptions fill. A field a
// card does not name still shows, in the card of its section or in a card of its own, so a
// plugin's new series reaches the report without a change here.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "html_report_chart.hpp"
#include "html_report_parts.hpp"
#include "resync/server/views.hpp"

namespace resync::server::detail {
namespace {

enum class Show { kValue, kTrend, kConnected };
struct Slot {
  std::string label;
  std::string field;  // in /current; the section for a trend
  Show show = Show::kValue;
};
struct CardSpec {
  const char* id;
  const char* title;
  std::vector<const char*> sections;  // the /current sections whose other fields it also shows
  std::vector<Slot> big;
  std::vector<Slot> kv;
};

const std::vector<CardSpec>& card_specs() {
  static const std::vector<CardSpec> kCards = {
      {"card-api",
       "Requests",
       {"api"},
       {{"", "api.requests_per_sec"}},
       {{"total", "api.requests_total"}, {"5 min", "api", Show::kTrend}}},
      {"card-errors", "Error rate", {}, {{"", "api.error_rate"}}, {{"errors", "api.error_count"}}},
      {"card-latency",
       "Latency",
       {},
       {{"p50", "api.response_time_p50"}, {"p95", "api.response_time_p95"}},
       {{"average", "api.response_time_avg"}}},
      {"card-cache",
       "Cache hit ratio",
       {"cache"},
       {{"", "cache.hit_ratio"}},
       {{"hits", "cache.hits"},
        {"misses", "cache.misses"},
        {"keys", "cache.size"},
        {"evicted", "cache.evictions"}}},
      {"card-agents",
       "Agents",
       {"agents", "llm"},
       {{"active", "agents.active"}},
       {{"created", "agents.created_total"},
        {"failed", "agents.failed_total"},
        {"LLM calls", "llm.requests"},
        {"tokens", "llm.tokens_used"},
        {"LLM errors", "llm.errors"}}},
      {"card-tws",
       "Workload Automation",
       {"tws"},
       {{"", "tws.connected", Show::kConnected}, {"", "tws.latency_ms"}},
       {{"error", "tws.jobs.error"},
        {"running", "tws.jobs.running"},
        {"waiting", "tws.jobs.waiting"},
        {"done", "tws.jobs.done"}}},
      {"card-host",
       "Host",
       {"host", "system"},
       {{"CPU", "host.cpu_percent"}, {"mem", "host.memory_percent"}},
       {{"load", "host.load1"},
        {"RSS", "host.process_rss_bytes"},
        {"available", "system.availability"},
        {"async ops", "system.async_operations"}}},
  };
  return kCards;
}

struct LineSpec {
  const char* label;
  const char* field;  // in /history
  int color;
};
struct ChartSpec {
  const char* title;
  bool percent;
  std::vector<LineSpec> lines;
};

const std::vector<ChartSpec>& chart_specs() {
  static const std::vector<ChartSpec> kCharts = {
      {"Requests", false, {{"req/s", "api.requests_per_sec", 1}}},
      {"Error rate", false, {{"errors", "api.error_rate", 6}}},
      {"Latency",
       false,
       {{"p50", "api.response_time_p50", 1}, {"p95", "api.response_time_p95", 2}}},
      {"Cache hit ratio", true, {{"hit ratio", "cache.hit_ratio", 4}}},
      {"Workload Automation latency", false, {{"latency", "tws.latency", 3}}},
      {"Host CPU / memory",
       true,
       {{"CPU", "host.cpu_percent", 1}, {"memory", "host.memory_percent", 3}}},
  };
  return kCharts;
}

std::string section_of(std::string_view field) {
  return std::string(field.substr(0, field.find('.')));
}

// "jobs.error" -> "jobs error": a label for a field no card names.
std::string label_of(std::string_view path) {
  std::string out(path);
  std::replace(out.begin(), out.end(), '_', ' ');
  std::replace(out.begin(), out.end(), '.', ' ');
  return out;
}

// Every field some series fills, as dotted paths in document order.
void leaf_paths(const FieldNode& n, const std::string& prefix, std::vector<std::string>& out) {
  for (const FieldNode& c : n.children) {
    const std::string path = prefix.empty() ? c.name : prefix + "." + c.name;
    if (c.kind == FieldNode::Kind::kSeries && !c.columns.empty()) out.push_back(path);
    leaf_paths(c, path, out);
  }
}

// % change of the section's trend series against the sample five minutes earlier, as /current.
std::string trend_of(const ReportData& d, std::string_view section) {
  const std::vector<SeriesKey>& keys = d.snap.keys();
  const StoreSnapshot& s = d.snap.store;
  const size_t back =
      static_cast<size_t>(5 * 60'000 / std::max<int64_t>(1, d.snap.interval.count()));
  for (size_t c = 0; c < keys.size(); ++c) {
    const SeriesDescription& desc = keys[c].description;
    if (!(desc.flags & series_flags::kTrend) || section_of(desc.current_field) != section) continue;
    if (s.rows <= back) return "0 %";
    const double a = s.at(c, s.rows - 1 - back), b = s.at(c, s.rows - 1);
    if (std::isnan(a) || std::isnan(b)) return std::string(kMissing);
    const double pct = a == 0 ? 0 : (b - a) / std::fabs(a) * 100.0;
    if (pct == 0) return "0 %";
    return (pct > 0 ? "+" : "\u2212") + format_fixed(std::fabs(pct), 1) + " %";
  }
  return std::string(kMissing);
}

// The status text a plugin's collectors report, as /current shows it; "" when the source has
// no collector health (a state file).
std::string status_of(const ReportData& d, const std::string& plugin) {
  for (const CollectorHealth& h : d.snap.health) {
    if (h.plugin != plugin) continue;
    if (!h.up && !h.last_error.empty()) return h.last_error;
    return h.status;
  }
  return "";
}

struct Card {
  std::string id, title;
  std::vector<Slot> big, kv;
  std::string note;
  std::vector<std::string> sections;
};

class CardWriter {
 public:
  CardWriter(std::string& out, const ReportData& d) : out_(out), d_(d) {}

  void write(const Card& card) {
    bool configured = false;
    for (const auto* slots : {&card.big, &card.kv}) {
      for (const Slot& s : *slots) {
        configured = configured || (s.show != Show::kTrend && find_series(d_.current, s.field));
      }
    }
    out_ += "<article class=\"card" + std::string(configured ? "" : " off") + "\" id=\"";
    append_escaped(out_, card.id);
    out_ += "\"><h2>";
    append_escaped(out_, card.title);
    if (!configured) out_ += " <span class=\"tag\">not configured</span>";
    out_ += "</h2><div class=\"big" + std::string(card.big.size() > 1 ? " pair" : "") + "\">";
    for (const Slot& s : card.big) write_big(s);
    out_ += "</div><dl class=\"kv\">";
    for (const Slot& s : card.kv) {
      out_ += "<dt>";
      append_escaped(out_, s.label);
      out_ += "</dt><dd>";
      append_escaped(out_, configured ? text_of(s) : std::string(kMissing));
      out_ += "</dd>";
    }
    out_ += "</dl>";
    if (!card.note.empty()) {
      out_ += "<div class=\"note\">";
      append_escaped(out_, card.note);
      out_ += "</div>";
    }
    out_ += "</article>\n";
  }

 private:
  // The newest value of the window; a value missing from it stays missing, as in /current.
  double last_of(const FieldNode& n) const {
    if (d_.window.rows == 0) return std::nan("");
    return field_value(d_.snap.store, n, d_.window.last_row());
  }

  std::string text_of(const Slot& s) const {
    if (s.show == Show::kTrend) return trend_of(d_, s.field);
    const FieldNode* n = find_series(d_.current, s.field);
    if (!n) return std::string(kMissing);
    return format_value(last_of(*n), field_description(d_.snap, *n).unit).text();
  }

  void write_big(const Slot& s) {
    const FieldNode* n = find_series(d_.current, s.field);
    const double v = n ? last_of(*n) : std::nan("");
    out_ += "<span>";
    if (!s.label.empty()) {
      out_ += "<span class=\"label\">";
      append_escaped(out_, s.label);
      out_ += "</span>";
    }
    if (s.show == Show::kConnected) {
      const char* word = std::isnan(v) ? nullptr : v == 1 ? "connected" : "down";
      out_ += word ? std::string("<span class=\"value ") + (v == 1 ? "good" : "bad") + "\">" +
                         word + "</span>"
                   : "<span class=\"value\">" + std::string(kMissing) + "</span>";
      out_ += "</span>";
      return;
    }
    const Formatted f = n ? format_value(v, field_description(d_.snap, *n).unit)
                          : Formatted{std::string(kMissing), ""};
    out_ += "<span class=\"value\">";
    append_escaped(out_, f.number);
    out_ += "</span>";
    if (!f.unit.empty()) {
      out_ += "<span class=\"unit\">";
      append_escaped(out_, f.unit);
      out_ += "</span>";
    }
    out_ += "</span>";
  }

  std::string& out_;
  const ReportData& d_;
};

// Status, uptime, alerts and samples, as the dashboard's first card.
void write_status_card(std::string& out, const ReportData& d) {
  const MonitorSnapshot& snap = d.snap;
  std::string status = snap.store.empty() ? "initializing" : "ok";
  for (const CollectorHealth& h : snap.health)
    status = h.up || status != "ok" ? status : "degraded";
  for (const Alert& a : snap.active)
    status = a.severity == Severity::kCritical ? "degraded" : status;
  const int64_t uptime_s = snap.started_at_ms ? (snap.taken_at_ms - snap.started_at_ms) / 1000 : -1;
  out +=
      "<article class=\"card\" id=\"card-status\"><h2>Status</h2><div class=\"big\"><span "
      "class=\"value status-" +
      status + "\">" + status + "</span></div><dl class=\"kv\"><dt>uptime</dt><dd>" +
      (uptime_s >= 0 ? format_uptime(uptime_s) : std::string(kMissing)) +
      "</dd><dt>alerts</dt><dd>" +
      // A format-1 state file keeps samples only: whether alerts were active is not known.
      (snap.health.empty() && !snap.store.empty() ? std::string(kMissing)
       : snap.active.empty()                      ? std::string("none")
                             : std::to_string(snap.active.size()) + " active") +
      "</dd><dt>samples</dt><dd>" + format_fixed(double(d.window.rows), 0) + " / " +
      format_fixed(double(snap.capacity), 0) + "</dd><dt>version</dt><dd>" + version() +
      "</dd></dl></article>\n";
}

}  // namespace

void write_cards(std::string& out, const ReportData& d) {
  std::vector<Card> cards;
  std::set<std::string> named;
  for (const CardSpec& spec : card_specs()) {
    Card card{spec.id, spec.title, spec.big, spec.kv, {}, {}};
    for (const char* s : spec.sections) card.sections.emplace_back(s);
    for (const auto* slots : {&spec.big, &spec.kv}) {
      for (const Slot& s : *slots) named.insert(s.field);
    }
    cards.push_back(std::move(card));
  }
  std::vector<std::string> fields;
  leaf_paths(d.current, "", fields);
  const auto card_of = [&](const std::string& section) -> Card& {
    for (Card& c : cards) {
      if (std::find(c.sections.begin(), c.sections.end(), section) != c.sections.end()) return c;
    }
    cards.push_back(Card{"card-" + section, section, {}, {}, {}, {section}});
    return cards.back();
  };
  for (const std::string& f : fields) {
    if (named.count(f)) continue;
    Card& card = card_of(section_of(f));
    (card.big.empty() ? card.big : card.kv)
        .push_back({label_of(std::string_view(f).substr(f.find('.') + 1)), f});
  }
  for (const auto& [plugin, field] : d.snap.status_fields)
    card_of(section_of(field)).note = status_of(d, plugin);

  CardWriter writer(out, d);
  out += "<section class=\"cards\" aria-label=\"Values at the end of the window\">\n";
  write_status_card(out, d);
  for (const Card& card : cards) writer.write(card);
  out += "</section>\n";
}

void write_charts(std::string& out, const ReportData& d) {
  const StoreSnapshot& s = d.snap.store;
  const size_t first = d.window.first_row, rows = d.window.rows;
  ChartInput base;
  base.times_ms = s.timestamps_ms.data() + first;
  base.rows = rows;
  base.start_ms = d.window.start_ms;
  base.end_ms = d.window.end_ms;
  // Any missing row is a gap: the sampler's grid has no sample there.
  base.max_step_ms = d.snap.interval.count() * 3 / 2;

  const auto line_of = [&](const FieldNode& n, std::string label, int color) {
    ChartLine line{std::move(label), color, std::vector<double>(rows)};
    for (size_t r = 0; r < rows; ++r) line.values[r] = field_value(s, n, first + r);
    return line;
  };
  out += "<section class=\"charts\" aria-label=\"History\">\n";
  std::set<std::string> charted_sections;
  for (const ChartSpec& spec : chart_specs()) {
    ChartInput chart = base;
    chart.title = spec.title;
    chart.percent = spec.percent;
    for (const LineSpec& l : spec.lines) {
      charted_sections.insert(section_of(l.field));
      const FieldNode* n = find_series(d.history, l.field);
      if (!n) continue;
      if (chart.lines.empty()) chart.unit = field_description(d.snap, *n).unit;
      chart.lines.push_back(line_of(*n, l.label, l.color));
    }
    if (chart.lines.empty()) {
      out += "<figure class=\"chart off\"><figcaption>";
      append_escaped(out, spec.title);
      out += "</figcaption><p class=\"empty\">not configured</p></figure>\n";
      continue;
    }
    write_chart(out, chart);
  }
  // History fields of sections the dashboard does not chart (another plugin's): one chart per
  // section, lines in declaration order.
  for (const CardSpec& spec : card_specs())
    charted_sections.insert(spec.sections.begin(), spec.sections.end());
  std::vector<std::string> fields;
  leaf_paths(d.history, "", fields);
  std::map<std::string, ChartInput> extra;
  std::vector<std::string> order;
  for (const std::string& f : fields) {
    const std::string section = section_of(f);
    if (charted_sections.count(section)) continue;
    auto [it, fresh] = extra.try_emplace(section, base);
    ChartInput& chart = it->second;
    const FieldNode& n = *find_series(d.history, f);
    if (fresh) {
      order.push_back(section);
      chart.title = section;
      chart.unit = field_description(d.snap, n).unit;
    }
    const int color = static_cast<int>(chart.lines.size()) + 1;
    if (color <= 6) chart.lines.push_back(line_of(n, label_of(f.substr(f.find('.') + 1)), color));
  }
  for (const std::string& section : order) write_chart(out, extra.at(section));
  out += "</section>\n";
}

}  // namespace resync::server::detail

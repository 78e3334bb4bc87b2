// SPDX-License-Identifier: MIT
// The report's page: head, header with what it covers and where it came from, then the parts.
#include "resync/views/html_report.hpp"

#include <chrono>
#include <cmath>

#include "html_report_parts.hpp"
#include "resync/views/json.hpp"

namespace resync::views {
namespace {

using detail::append_escaped;
using detail::format_fixed;
using detail::format_local;
using detail::format_span;

std::string current_field(const SeriesDescription& d) { return d.current_field; }
std::string history_field(const SeriesDescription& d) { return d.history_field; }

std::string describe_source(const std::string& source) {
  if (source == "live" || source.empty()) return "live monitor";
  return source;
}

// Date and time, with the date left out when it is the day of `ref_ms`.
std::string stamp(int64_t ms, int64_t ref_ms) {
  const bool same_day = format_local(ms, "%F") == format_local(ref_ms, "%F");
  return format_local(ms, same_day ? "%H:%M:%S" : "%F %H:%M:%S");
}

// What the report covers, and what it does not when the source holds less than was asked.
void write_coverage(std::string& out, const MonitorSnapshot& snap, const detail::ReportWindow& w,
                    int64_t generated) {
  const StoreSnapshot& s = snap.store;
  out += "<p class=\"coverage\">";
  if (w.rows == 0) {
    out += "<b>No sample in this window.</b>";
  } else {
    const int64_t first = s.timestamps_ms[w.first_row];
    out += "Covers <b>" + stamp(first, generated) + "</b> to <b>" + stamp(w.end_ms, generated) +
           "</b>: " + format_span(w.end_ms - first + snap.interval.count()) + ", <b>" +
           format_fixed(double(w.rows), 0) + "</b> samples every " +
           format_span(snap.interval.count()) + ".";
  }
  out += "</p>\n";
  if (w.asked_ms && w.short_of_asked) {
    out += "<p class=\"notice\">Asked for " + format_span(w.asked_ms) + "; the source holds ";
    out += w.rows
               ? "only " +
                     format_span(w.end_ms - s.timestamps_ms[w.first_row] + snap.interval.count()) +
                     "."
               : "no sample.";
    out += " The charts span the samples it holds.</p>\n";
  }
}

// A store whose shape disagrees with its series list: render the page around no data rather than
// read outside the columns.
bool consistent(const MonitorSnapshot& snap) {
  const StoreSnapshot& s = snap.store;
  return s.series_count == snap.keys().size() && s.timestamps_ms.size() == s.rows &&
         s.values.size() == s.series_count * s.rows;
}

}  // namespace

size_t report_rows(std::chrono::milliseconds interval, int minutes) {
  if (minutes <= 0) return SIZE_MAX;
  const int64_t step = std::max<int64_t>(1, interval.count());
  return static_cast<size_t>((int64_t{minutes} * 60'000 + step - 1) / step);
}

std::string render_report(const MonitorSnapshot& given, const ReportOptions& o) {
  MonitorSnapshot repaired;
  if (!consistent(given)) {
    repaired = given;
    repaired.store = StoreSnapshot{};
    repaired.series = nullptr;
  }
  const MonitorSnapshot& snap = consistent(given) ? given : repaired;
  detail::ReportData d{snap, detail::report_window(snap, o.minutes),
                       detail::build_shape({}, snap, current_field),
                       detail::build_shape({}, snap, history_field), build_presentation(snap)};
  int64_t generated = o.generated_at_ms ? o.generated_at_ms : snap.taken_at_ms;
  if (!generated) {
    generated = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  }
  const std::string source = describe_source(o.source.empty() ? snap.source : o.source);

  std::string out;
  out.reserve(64 * 1024 + d.window.rows * 64);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      // The file must stay whole on its own: nothing may load, not even by accident.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'; "
      "img-src data:; base-uri 'none'; form-action 'none'\">\n"
      "<meta name=\"color-scheme\" content=\"light dark\">\n"
      "<meta name=\"generator\" content=\"resync-mon ";
  out += version();
  out += "\">\n<title>";
  append_escaped(out, o.title);
  // A data: icon, or a browser asks the server for /favicon.ico.
  out += "</title>\n<link rel=\"icon\" href=\"data:,\">\n<style>\n";
  out += detail::report_css();
  out += "</style>\n</head>\n<body>\n<header class=\"topbar\"><h1>";
  append_escaped(out, o.title);
  out += "</h1><div class=\"meta\">generated <b>" + format_local(generated, "%F %H:%M:%S") +
         "</b> from <b>";
  append_escaped(out, source);
  out += "</b></div></header>\n<main>\n";
  write_coverage(out, snap, d.window, generated);
  detail::write_cards(out, d);
  detail::write_charts(out, d);
  out += "<div class=\"lower\">\n";
  detail::write_alerts(out, d);
  detail::write_health(out, d);
  out += "</div>\n";
  detail::write_series_table(out, d);
  out += "</main>\n<footer>Made by resync-mon ";
  out += version();
  out += " from ";
  append_escaped(out, source);
  out += " at " + format_local(generated, "%F %H:%M:%S") + ". Times are local (" +
         format_local(generated, "%Z, UTC%z") +
         "). A static snapshot: no script, nothing loaded from the "
         "network.</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace resync::views

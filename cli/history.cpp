// SPDX-License-Identifier: MIT
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "resync/state_file.hpp"
#include "resync/views/history_export.hpp"
#include "resync/views/json.hpp"
#include "source.hpp"

namespace resync::cli {
namespace {

struct HistoryOptions {
  SourceOptions source;
  std::optional<int64_t> minutes;
  std::string series;  ///< comma-separated
  std::string format = "table";
  std::string out;  ///< "" = standard output
};

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// The /history document of the rows a query selects (its shape is fixed, so all series).
void render_json(std::ostream& out, const MonitorSnapshot& snap, const views::HistoryQuery& query) {
  const views::HistorySelection sel = views::select_history(snap, query);
  if (sel.first_row == 0) {
    out << views::render_history(snap);
    return;
  }
  MonitorSnapshot part = snap;
  StoreSnapshot& s = part.store;
  const size_t rows = s.rows - sel.first_row;
  s.timestamps_ms.erase(s.timestamps_ms.begin(),
                        s.timestamps_ms.begin() + static_cast<std::ptrdiff_t>(sel.first_row));
  std::vector<double> values;
  values.reserve(s.series_count * rows);
  for (size_t c = 0; c < s.series_count; ++c)
    values.insert(values.end(), s.column(c) + sel.first_row, s.column(c) + s.rows);
  s.values = std::move(values);
  s.rows = rows;
  out << views::render_history(part);
}

// /api/monitoring/history, with ?minutes= clamped to the server's window: asking for more than
// is held is not an error here, though the server answers it with 400.
std::string history_path(const HistoryOptions& options) {
  if (!options.minutes) return "/api/monitoring/history";
  Poco::JSON::Parser parser;
  const auto health = parser.parse(fetch_document(options.source, "/api/monitoring/health"))
                          .extract<Poco::JSON::Object::Ptr>();
  const auto window_minutes =
      static_cast<int64_t>(std::ceil(health->optValue<double>("history_window", 60.0) / 60));
  return "/api/monitoring/history?minutes=" +
         std::to_string(
             std::clamp<int64_t>(*options.minutes, 1, std::max<int64_t>(1, window_minutes)));
}

int finish(const HistoryOptions& options, const std::ostringstream& buffer) {
  if (!options.out.empty()) {
    // Atomic, so a cron job's reader sees the old file or the new one, never half of one.
    // 0666 less the umask, as other tools write files (and as `report --out` does).
    write_file_atomically(options.out, buffer.str(), 0666);
    return kExitOk;
  }
  std::cout.flush();
  // A reader that stopped early (`| head`) is not an error worth a line.
  if (!std::cout && errno != EPIPE) throw std::runtime_error("cannot write to standard output");
  return kExitOk;
}

int run_history(const GlobalOptions& global, const HistoryOptions& options) {
  const Config config = load_selected_config(global, ConfigUse::kRead);
  views::HistoryQuery query;
  query.minutes = options.minutes;
  query.series = split_commas(options.series);
  if (options.format == "json" && !query.series.empty()) {
    throw Error(
        "--series does not apply to --format json: the /api/monitoring/history document has a "
        "fixed shape",
        kExitUsage);
  }
  std::ostringstream buffer;
  std::ostream& out = options.out.empty() ? std::cout : buffer;
  if (options.format == "json" &&
      source_kind(options.source, config, Fallback::kStateFile) == SourceKind::kUrl) {
    // The server's own document is exact; one rebuilt from the API would lack its increases.
    out << fetch_document(options.source, history_path(options)) << '\n';
    return finish(options, buffer);
  }
  const MonitorSnapshot snap = read_source(options.source, config, Fallback::kStateFile);
  try {
    if (options.format == "csv")
      views::render_history_csv(out, snap, query);
    else if (options.format == "ndjson")
      views::render_history_ndjson(out, snap, query);
    else if (options.format == "openmetrics")
      views::render_openmetrics(out, snap, query);
    else if (options.format == "json")
      render_json(out, snap, query), out << '\n';
    else
      views::render_history_table(out, snap, query);
  } catch (const std::invalid_argument& e) {
    throw Error(std::string("--series: ") + e.what(), kExitUsage);
  }
  return finish(options, buffer);
}

}  // namespace

void add_history_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto* cmd =
      app.add_subcommand("history",
                         "Print the history window of a running server (--url) or a state file "
                         "(--state) as a table, CSV, JSON, NDJSON or OpenMetrics");
  auto options = std::make_shared<HistoryOptions>();
  cmd->add_option_function<int64_t>(
         "--minutes", [options](int64_t m) { options->minutes = m; },
         "Only the newest N minutes (default: everything held)")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            // CLI::PositiveNumber would print its upper bound, a 300-digit number.
            const bool whole = !text.empty() && text.size() <= 18 &&
                               text.find_first_not_of("0123456789") == std::string::npos;
            if (whole && std::stoll(text) >= 1) return "";
            return "expected a whole number of minutes, 1 or more, got \"" + text.substr(0, 64) +
                   "\"";
          },
          "MINUTES"));
  cmd->add_option(
      "--series", options->series,
      "Comma-separated series: metric names (every instance) or labels like collector_up{redis}");
  cmd->add_option("--format", options->format,
                  "table (default), csv, json (the /api/monitoring/history document), "
                  "ndjson (one object per sample) or openmetrics (for promtool)")
      ->check(CLI::IsMember({"table", "csv", "json", "ndjson", "openmetrics"}));
  cmd->add_option("--out", options->out,
                  "Write to FILE atomically (temporary file + rename) instead of stdout");
  add_source_options(cmd, options->source);
  cmd->callback([&global, &action, options] {
    action = [&global, options] { return run_history(global, *options); };
  });
}

}  // namespace resync::cli

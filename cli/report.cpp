// SPDX-License-Identifier: MIT
#include <chrono>
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "resync/error.hpp"
#include "resync/state_file.hpp"
#include "resync/views/html_report.hpp"
#include "source.hpp"

namespace resync::cli {
namespace {

struct ReportCommand {
  SourceOptions source;
  std::string out;
  int minutes = 0;
  std::string title = "resync-mon report";
};

int run_report(const GlobalOptions& global, const ReportCommand& o) {
  const Config config = load_selected_config(global, ConfigUse::kRead);
  const MonitorSnapshot snap = read_source(o.source, config);
  views::ReportOptions options;
  options.title = o.title;
  options.minutes = o.minutes;
  options.source = snap.source;
  using std::chrono::system_clock;
  options.generated_at_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(system_clock::now().time_since_epoch())
          .count();
  const std::string page = views::render_report(snap, options);
  if (o.out == "-") {
    std::fwrite(page.data(), 1, page.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
  }
  // Atomic, so a web server or a mail job never reads half a report; 0666 under the umask, so a
  // web server running as another user can read it.
  write_file_atomically(o.out, page, 0666);
  return kExitOk;
}

}  // namespace

void add_report_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto* cmd = app.add_subcommand(
      "report",
      "Write a static HTML report of the window (inline CSS and SVG charts, no script, "
      "no network) for cron jobs and e-mail");
  auto o = std::make_shared<ReportCommand>();
  add_source_options(cmd, o->source);
  cmd->add_option("-o,--out", o->out,
                  "HTML file to write, replaced atomically; - for standard output")
      ->required();
  cmd->add_option("--minutes", o->minutes,
                  "Minutes to cover, ending at the newest sample (default: all the source holds); "
                  "more than the "
                  "source holds is fine, the report says what it covers")
      ->check(CLI::Range(1, 366 * 24 * 60));
  cmd->add_option("--title", o->title, "Title of the page")->capture_default_str();
  cmd->callback(
      [&global, &action, o] { action = [&global, o] { return run_report(global, *o); }; });
}

}  // namespace resync::cli

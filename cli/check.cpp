// SPDX-License-Identifier: MIT
#include <chrono>
#include <cstdio>

#include "check_eval.hpp"
#include "commands.hpp"
#include "resync/plugins.hpp"
#include "resync/util/duration.hpp"
#include "source.hpp"

namespace resync::cli {
namespace {

struct CheckCommandOptions {
  SourceOptions source;
  CheckOptions check;
  std::string warning, critical;  ///< as given; parsed when the command runs
};

CheckResult run_check(const GlobalOptions& global, CheckCommandOptions& options) {
  std::string error;
  if (!options.warning.empty() &&
      !(options.check.warning = parse_nagios_range(options.warning, &error))) {
    return unknown_result("-w: " + error);
  }
  if (!options.critical.empty() &&
      !(options.check.critical = parse_nagios_range(options.critical, &error))) {
    return unknown_result("-c: " + error);
  }
  if (options.check.metric.empty() && (options.check.warning || options.check.critical)) {
    return unknown_result(
        "-w and -c need --metric NAME (without it the configured alert rules are evaluated)");
  }
  const Config config = load_selected_config(global, ConfigUse::kRead);
  const SourceKind kind = source_kind(options.source, config, Fallback::kSample);
  const MonitorSnapshot snap = read_source(options.source, config, Fallback::kSample);
  const AlertSource alerts = kind == SourceKind::kUrl         ? AlertSource::kSnapshotActive
                             : kind == SourceKind::kStateFile ? AlertSource::kReplay
                                                              : AlertSource::kReplayNoFor;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return evaluate_check(snap, effective_alert_rules(config), alerts, options.check, now);
}

}  // namespace

CLI::App* add_check_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto* cmd = app.add_subcommand("check",
                                 "Nagios/Icinga plugin: judge the newest sample by the configured "
                                 "alert rules, or one --metric "
                                 "against -w/-c ranges; one status line with perfdata, exit 0 OK, "
                                 "1 WARNING, 2 CRITICAL, 3 UNKNOWN");
  auto options = std::make_shared<CheckCommandOptions>();
  cmd->add_option("--metric,-m", options->check.metric,
                  "Judge this metric (every instance) instead of the rules");
  cmd->add_option("-w,--warning", options->warning,
                  "Warning range, [@]start:end (10, 10:, ~:10, 10:20, @10:20)");
  cmd->add_option("-c,--critical", options->critical, "Critical range, same syntax");
  cmd->add_option_function<std::string>(
      "--max-age",
      [options](const std::string& text) {
        const auto d = parse_duration(text);
        if (!d)
          throw CLI::ValidationError("--max-age",
                                     "expected a duration like \"2m\", got \"" + text + "\"");
        options->check.max_age = *d;
      },
      "UNKNOWN when the newest sample is older (default: three intervals; a state file is saved "
      "once a "
      "minute, so give it e.g. 2m)");
  add_source_options(cmd, options->source);
  cmd->callback([&global, &action, options] {
    action = [&global, options] {
      CheckResult result;
      try {
        result = run_check(global, *options);
      } catch (const std::exception& e) {
        result = unknown_result(e.what());
      }
      std::printf("%s\n", result.line.c_str());
      return result.status;
    };
  });
  return cmd;
}

}  // namespace resync::cli

// SPDX-License-Identifier: MIT
#include "source.hpp"

#include <chrono>
#include <map>
#include <thread>

#include "resync/monitor.hpp"
#include "resync/plugins.hpp"
#include "resync/state_file.hpp"
#include "resync/state_journal.hpp"
#include "resync/util/duration.hpp"

namespace resync::cli {

SourceKind source_kind(const SourceOptions& options, const Config& config, Fallback fallback) {
  if (!options.url.empty()) return SourceKind::kUrl;
  if (!options.state_file.empty()) return SourceKind::kStateFile;
  if (fallback == Fallback::kStateFile) {
    if (config.state_file.empty()) {
      throw Error(
          "no source: pass --url URL of a running `resync-mon serve` (e.g. --url "
          "http://127.0.0.1:9882), "
          "--state FILE of the state file it writes, or a --config whose state_file is set",
          kExitUsage);
    }
    return SourceKind::kStateFile;
  }
  return SourceKind::kSample;
}

void add_source_options(CLI::App* cmd, SourceOptions& options) {
  const std::string group = "Source";
  auto* url =
      cmd->add_option(
             "--url", options.url,
             "A running `resync-mon serve`, e.g. http://127.0.0.1:9882 (https:// with --ca-file)")
          ->group(group);
  auto* state =
      cmd->add_option("--state", options.state_file,
                      "The state file `serve` writes (state_file of its configuration); read-only")
          ->group(group);
  url->excludes(state);
  cmd->add_option("--token", options.token, "Bearer token for --url")
      ->envname("RESYNC_MON_TOKEN")
      ->group(group);
  cmd->add_option("--user", options.user,
                  "Basic auth user for --url; the password is read from RESYNC_MON_PASSWORD")
      ->group(group);
  cmd->add_option("--ca-file", options.ca_file, "PEM bundle to verify an https:// --url with")
      ->check(CLI::ExistingFile)
      ->group(group);
  cmd->add_option_function<std::string>(
         "--timeout",
         [&options](const std::string& text) {
           const auto d = parse_duration(text);
           if (!d)
             throw CLI::ValidationError("--timeout",
                                        "expected a duration like \"5s\", got \"" + text + "\"");
           options.timeout = *d;
         },
         "Longest time for reading the whole source over --url (default 5s)")
      ->group(group);
}

// The decoder's reasons are terse; a user reading them wants to know what is wrong with the file.
std::string plain_state_reason(const std::string& reason) {
  auto starts = [&reason](const char* prefix) { return reason.rfind(prefix, 0) == 0; };
  auto ends = [&reason](const std::string& suffix) {
    return reason.size() >= suffix.size() &&
           reason.compare(reason.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (reason == "bad magic") return "not a resync-mon state file";
  if (reason == "truncated")
    return "cut short: the file ends before its data does (copied while being written?)";
  if (reason == "checksum mismatch") return "damaged: its checksum does not match its contents";
  if (starts("unsupported version")) return "written in another format: " + reason.substr(12);
  if (ends("longer than the limit"))
    return "damaged: " + reason.substr(0, reason.size() - 21) + "longer than a state file allows";
  if (ends("over the limit"))
    return "damaged: " + reason.substr(0, reason.size() - 14) + "more than a state file allows";
  return "damaged: " + reason;
}

MonitorSnapshot read_state_source(const std::string& path) {
  std::optional<SavedState> saved;
  try {
    // With its journal: a running server's samples since its last save are there, not only in
    // the file it rewrites once a minute.
    saved = read_state_with_journal(path);
  } catch (const StateFormatError& e) {
    throw SourceError("state file " + path + ": " + plain_state_reason(e.what()),
                      kExitBadStateFile);
  } catch (const std::runtime_error& e) {
    throw SourceError(e.what(), kExitSourceUnusable);
  }
  if (!saved)
    throw SourceError("cannot read state file " + path + ": No such file or directory",
                      kExitSourceUnusable);
  return to_snapshot(std::move(*saved), path);
}

MonitorSnapshot sample_source(const Config& config) {
  Monitor monitor(config);
  const int64_t first = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  monitor.sample_now(first);
  std::this_thread::sleep_for(monitor.config().interval);
  monitor.sample_now(first + monitor.config().interval.count());
  return monitor.snapshot();
}

// A file or a server carries no rules: the screens draw the thresholds of the rules the
// configuration puts in effect, its plugins' defaults included. A plugin missing here only loses
// its defaults: a reader draws thresholds, it samples nothing.
MonitorSnapshot with_rules(MonitorSnapshot snap, const Config& config) {
  if (snap.rules) return snap;
  std::vector<PluginInfo> plugins;
  if (!config.alerts_given && config.default_alerts) {
    std::map<std::string, PluginInfo> found;
    for (PluginInfo& p : discover_plugins(plugin_search_dirs(config.plugin_dir))) {
      if (p.error.empty()) found.emplace(p.name, std::move(p));
    }
    for (const CollectorConfig& cc : config.collectors) {
      const auto it = found.find(cc.plugin);
      if (it != found.end()) plugins.push_back(it->second);
    }
  }
  snap.rules =
      std::make_shared<const std::vector<AlertRule>>(effective_alert_rules(config, plugins));
  return snap;
}

MonitorSnapshot read_source(const SourceOptions& options, const Config& config, Fallback fallback) {
  switch (source_kind(options, config, fallback)) {
    case SourceKind::kUrl:
      return with_rules(read_remote_source(options, config), config);
    case SourceKind::kStateFile:
      return with_rules(
          read_state_source(options.state_file.empty() ? config.state_file : options.state_file),
          config);
    case SourceKind::kSample:
      break;
  }
  return sample_source(config);
}

}  // namespace resync::cli

// SPDX-License-Identifier: MIT
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "commands.hpp"
#include "resync/catalog.hpp"
#include "resync/views/json.hpp"
#include "source.hpp"

namespace resync::cli {
namespace {

std::string format_value(double v, Unit unit) {
  if (std::isnan(v)) return "-";
  char buf[64];
  if (unit == Unit::kBytes) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", v / (1024.0 * 1024.0));
  } else if (unit == Unit::kSeconds) {
    std::snprintf(buf, sizeof buf, "%s", views::format_uptime(static_cast<int64_t>(v)).c_str());
  } else {
    const std::string symbol(unit_symbol(unit));
    std::snprintf(buf, sizeof buf, "%.6g%s%s", v, symbol.empty() ? "" : " ", symbol.c_str());
  }
  return buf;
}

void print_table(const MonitorSnapshot& snap) {
  const StoreSnapshot& store = snap.store;
  const bool tty = isatty(STDOUT_FILENO);
  const char* bold = tty ? "\033[1m" : "";
  const char* reset = tty ? "\033[0m" : "";
  std::printf(
      "%sresync-mon %s%s  sample of %s, interval %.3gs, from %s\n\n", bold, views::version(), reset,
      store.empty() ? "-" : views::format_clock(store.timestamps_ms[store.rows - 1]).c_str(),
      snap.interval.count() / 1000.0, snap.source.c_str());
  std::printf("%s%-26s %-12s %s%s\n", bold, "METRIC", "INSTANCE", "VALUE", reset);
  const std::vector<SeriesKey>& keys = snap.keys();
  for (size_t c = 0; c < keys.size(); ++c) {
    const SeriesKey& key = keys[c];
    if (key.metric == kCollectorUp || key.metric == kCollectorDuration) continue;
    std::printf("%-26s %-12s %s\n", key.metric.c_str(), key.instance.c_str(),
                format_value(store.empty() ? std::nan("") : store.at(c, store.rows - 1),
                             key.description.unit)
                    .c_str());
  }
  std::printf("\n%s%-12s %-8s %-4s %-10s %s%s\n", bold, "COLLECTOR", "PLUGIN", "UP", "DURATION",
              "STATUS", reset);
  for (const CollectorHealth& h : snap.health) {
    const std::string detail = !h.up && !h.last_error.empty() ? h.last_error
                               : h.status.empty()             ? "ok"
                                                              : h.status;
    std::printf("%-12s %-8s %-4s %-10s %s\n", h.name.c_str(), h.plugin.c_str(), h.up ? "yes" : "no",
                format_value(h.duration_ms, Unit::kMilliseconds).c_str(), detail.c_str());
  }
  std::printf("\n%sALERTS%s\n", bold, reset);
  if (snap.active.empty()) std::printf("none\n");
  for (const Alert& a : snap.active)
    std::printf("%-8s %s\n", to_string(a.severity), a.message.c_str());
}

}  // namespace

void add_current_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto* cmd =
      app.add_subcommand("current",
                         "Print current metrics of a running server (--url), a state file "
                         "(--state), or of two samples "
                         "taken here one interval apart (so rates and CPU have a baseline)");
  struct Options {
    SourceOptions source;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  cmd->add_flag("--json", options->json,
                "Print the full /api/monitoring/current JSON document instead of a table");
  add_source_options(cmd, options->source);
  cmd->callback([&global, &action, options] {
    action = [&global, options] {
      const Config config = load_selected_config(global, ConfigUse::kRead);
      // The server's own document is exact (its trends need history the API does not give back).
      if (options->json &&
          source_kind(options->source, config, Fallback::kSample) == SourceKind::kUrl) {
        std::printf("%s\n", fetch_document(options->source, "/api/monitoring/current").c_str());
        return 0;
      }
      const MonitorSnapshot snap = read_source(options->source, config, Fallback::kSample);
      if (options->json) {
        std::printf("%s\n", views::render_current(snap).c_str());
      } else {
        print_table(snap);
      }
      return 0;
    };
  });
}

}  // namespace resync::cli

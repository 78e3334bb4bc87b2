// SPDX-License-Identifier: MIT
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "commands.hpp"
#include "resync/catalog.hpp"
#include "resync/monitor.hpp"
#include "resync/server/views.hpp"
#include "resync/util/wall_clock.hpp"

namespace resync::cli {
namespace {

std::string format_value(double v, Unit unit) {
  if (std::isnan(v)) return "-";
  char buf[64];
  if (unit == Unit::kBytes) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", v / (1024.0 * 1024.0));
  } else if (unit == Unit::kSeconds) {
    std::snprintf(buf, sizeof buf, "%s", server::format_uptime(static_cast<int64_t>(v)).c_str());
  } else {
    const std::string symbol(unit_symbol(unit));
    std::snprintf(buf, sizeof buf, "%.6g%s%s", v, symbol.empty() ? "" : " ", symbol.c_str());
  }
  return buf;
}

void print_table(const Monitor& monitor) {
  const StoreSnapshot snap = monitor.store().snapshot(1);
  const SeriesLayout& layout = monitor.layout();
  const bool tty = isatty(STDOUT_FILENO);
  const char* bold = tty ? "\033[1m" : "";
  const char* reset = tty ? "\033[0m" : "";
  std::printf("%sresync-mon %s%s  sample of %s, interval %.3gs\n\n", bold, server::version(), reset,
              snap.empty() ? "-" : server::format_clock(snap.timestamps_ms[0]).c_str(),
              monitor.config().interval.count() / 1000.0);
  std::printf("%s%-26s %-12s %s%s\n", bold, "METRIC", "INSTANCE", "VALUE", reset);
  for (size_t c = 0; c < layout.size(); ++c) {
    const SeriesKey& key = layout.key(c);
    if (key.metric == kCollectorUp || key.metric == kCollectorDuration) continue;
    std::printf("%-26s %-12s %s\n", key.metric.c_str(), key.instance.c_str(),
                format_value(snap.empty() ? std::nan("") : snap.at(c, 0), key.description.unit).c_str());
  }
  std::printf("\n%s%-12s %-8s %-4s %-10s %s%s\n", bold, "COLLECTOR", "PLUGIN", "UP", "DURATION", "STATUS", reset);
  for (const CollectorHealth& h : monitor.sampler().health()) {
    const std::string detail = !h.up && !h.last_error.empty() ? h.last_error : h.status.empty() ? "ok" : h.status;
    std::printf("%-12s %-8s %-4s %-10s %s\n", h.name.c_str(), h.plugin.c_str(), h.up ? "yes" : "no",
                format_value(h.duration_ms, Unit::kMilliseconds).c_str(), detail.c_str());
  }
  const auto alerts = monitor.alerts().active();
  std::printf("\n%sALERTS%s\n", bold, reset);
  if (alerts.empty()) std::printf("none\n");
  for (const Alert& a : alerts) std::printf("%-8s %s\n", to_string(a.severity), a.message.c_str());
}

}  // namespace

void add_current_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto* cmd = app.add_subcommand(
      "current", "Print current metrics: takes two samples one interval apart (so rates and CPU have a baseline)");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print the full /api/monitoring/current JSON document instead of a table");
  cmd->callback([&global, &action, json] {
    action = [&global, json] {
      Monitor monitor(load_selected_config(global));
      const int64_t first = wall_clock_ms();
      monitor.sample_now(first);
      std::this_thread::sleep_for(monitor.config().interval);
      monitor.sample_now(first + monitor.config().interval.count());
      if (*json) {
        std::printf("%s\n", server::render_current(monitor.snapshot()).c_str());
      } else {
        print_table(monitor);
      }
      return 0;
    };
  });
}

}  // namespace resync::cli

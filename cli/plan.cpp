// SPDX-License-Identifier: MIT
#include <cstdio>

#include "commands.hpp"
#include "plan_estimate.hpp"
#include "resync/error.hpp"
#include "resync/util/duration.hpp"

namespace resync::cli {
namespace {

std::string mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

int run_plan(const GlobalOptions& global) {
  const Config config = load_selected_config(global, ConfigUse::kRead);
  const Plan plan = make_plan(config);
  std::printf("%s: interval %s, window %s = %zu samples\n", config.source.c_str(),
              format_duration(config.interval).c_str(), format_duration(config.window).c_str(),
              plan.capacity);
  std::printf("\n%-16s %-10s %s\n", "COLLECTOR", "PLUGIN", "SERIES");
  for (const PlanCollector& c : plan.collectors)
    std::printf("%-16s %-10s %zu\n", c.name.c_str(), c.plugin.c_str(), c.series);
  std::printf("\nstore (exact)    (%zu series + 1 timestamp) x %zu samples x 8 B = %llu B (%s)\n",
              plan.series, plan.capacity, static_cast<unsigned long long>(plan.store_bytes),
              mib(plan.store_bytes).c_str());
  std::printf(
      "window in serve  %llu B per sample (store row x %.1f + %llu B of /history) x %zu = %s\n",
      static_cast<unsigned long long>(plan.per_sample_bytes), kPlanStoreFactor,
      static_cast<unsigned long long>(kPlanServerBytesPerRow), plan.capacity,
      mib(plan.window_bytes).c_str());
  std::printf("fixed            %s with one collector + %s per further collector = %s\n",
              mib(kPlanBaseBytes).c_str(), mib(kPlanPerCollectorBytes).c_str(),
              mib(plan.fixed_bytes).c_str());
  std::printf("total            %s resident (RSS) with a full window, within about 20 %%\n",
              mib(plan.total_bytes).c_str());
  return kExitOk;
}

}  // namespace

void add_plan_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto* cmd =
      app.add_subcommand("plan",
                         "The memory the configured window will hold in `serve`: series x samples "
                         "x 8 B, plus the measured server and collector overhead");
  cmd->callback([&global, &action] { action = [&global] { return run_plan(global); }; });
}

}  // namespace resync::cli

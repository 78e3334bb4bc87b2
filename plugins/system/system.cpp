// SPDX-License-Identifier: MIT
// The `system` collector: host CPU, memory, load and uptime from /proc, the resync-mon
// process' RSS, and optionally the availability of a health URL.
#include <cmath>
#include <deque>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "resync/plugin/http.hpp"
#include "resync/plugin/plugin.hpp"

namespace resync::plugin {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Availability without a health_url and the runs in flight are facts of the host, not of /proc:
// the flags ask the host to fill them (RESYNC_SERIES_HOST_*).
constexpr resync_series_desc kSeries[] = {
    {"system_uptime", RESYNC_UNIT_SECONDS, RESYNC_KIND_GAUGE, "Seconds since the host booted.",
     nullptr, nullptr, 0},
    {"system_availability", RESYNC_UNIT_PERCENT, RESYNC_KIND_GAUGE,
     "Share of successful health probes (or collector runs) over the window.",
     "system.availability", nullptr, RESYNC_SERIES_HOST_AVAILABILITY},
    {"async_operations_active", RESYNC_UNIT_COUNT, RESYNC_KIND_GAUGE,
     "Collector runs in flight when the sample was taken.", "system.async_operations", nullptr,
     RESYNC_SERIES_HOST_IN_FLIGHT},
    {"host_cpu_percent", RESYNC_UNIT_PERCENT, RESYNC_KIND_GAUGE,
     "Host CPU busy time over the last interval.", "host.cpu_percent", "host.cpu_percent", 0},
    {"host_memory_percent", RESYNC_UNIT_PERCENT, RESYNC_KIND_GAUGE,
     "Host memory in use (total minus available).", "host.memory_percent", "host.memory_percent",
     0},
    {"host_load1", RESYNC_UNIT_COUNT, RESYNC_KIND_GAUGE, "Host one-minute load average.",
     "host.load1", "host.load1", 0},
    {"process_rss_bytes", RESYNC_UNIT_BYTES, RESYNC_KIND_GAUGE,
     "Resident memory of the resync-mon process.", "host.process_rss_bytes", nullptr, 0},
};

// How the dashboard and the report show these series: the cards and charts of the original
// Resync dashboard.
constexpr resync_series_hint kHints[] = {
    {"host_cpu_percent", nullptr, "CPU", "Host CPU / memory", RESYNC_HINT_HEADLINE},
    {"host_memory_percent", nullptr, "mem", "Host CPU / memory", RESYNC_HINT_HEADLINE},
    {"host_load1", nullptr, "load", nullptr, RESYNC_HINT_NO_CHART},
    {"process_rss_bytes", nullptr, "RSS", nullptr, RESYNC_HINT_NO_CHART},
    {"system_availability", nullptr, "available", nullptr, RESYNC_HINT_NO_CHART},
    {"async_operations_active", nullptr, "async ops", nullptr, RESYNC_HINT_NO_CHART},
    {"system_uptime", nullptr, "host uptime", nullptr, RESYNC_HINT_NO_CHART},
};
constexpr resync_presentation kPresentation = {
    sizeof(resync_presentation), "Host", 50, kHints, std::size(kHints), sizeof(resync_series_hint)};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The value of "Key:" in a /proc "Key: value unit" file, or NaN.
double proc_field(const std::string& text, const std::string& key) {
  const size_t at = text.find("\n" + key + ":") != std::string::npos
                        ? text.find("\n" + key + ":") + 1
                    : text.compare(0, key.size() + 1, key + ":") == 0 ? 0
                                                                      : std::string::npos;
  if (at == std::string::npos) return kNaN;
  std::istringstream in(text.substr(at + key.size() + 1));
  double v = kNaN;
  in >> v;
  return in ? v : kNaN;
}

class SystemCollector final : public CollectorBase {
 public:
  explicit SystemCollector(Options& o)
      : proc_root_(o.get_string("proc_root", "/proc")),
        health_url_(o.get_string("health_url")),
        health_timeout_(o.get_duration("health_timeout", o.timeout() / 2)),
        window_samples_(static_cast<size_t>(std::max<long long>(1, o.window() / o.interval()))) {
    if (!health_url_.empty()) {
      const std::string problem = check_url(health_url_);
      if (!problem.empty()) throw OptionError("health_url", problem);
    }
    if (health_timeout_ >= o.timeout()) {
      throw OptionError("health_timeout", "must be shorter than the collector's timeout");
    }
    // Take the CPU baseline now, so that the first sample, an interval later, already has a
    // figure; a broken /proc/stat is reported by collect(), not here.
    try {
      cpu_percent();
    } catch (const std::exception&) {
    }
  }

  void collect(const Emitter& emit) override {
    emit("host_cpu_percent", cpu_percent());
    const std::string meminfo = read_file(proc_root_ + "/meminfo");
    const double total = proc_field(meminfo, "MemTotal");
    const double available = proc_field(meminfo, "MemAvailable");
    emit("host_memory_percent", total > 0 ? 100.0 * (total - available) / total : kNaN);
    emit("host_load1", first_number(proc_root_ + "/loadavg"));
    emit("system_uptime", first_number(proc_root_ + "/uptime"));
    const double rss_kb = proc_field(read_file(proc_root_ + "/self/status"), "VmRSS");
    emit("process_rss_bytes", rss_kb * 1024.0);
    if (!health_url_.empty()) emit("system_availability", probe_health());
  }

 private:
  double first_number(const std::string& path) const {
    std::istringstream in(read_file(path));
    double v = kNaN;
    in >> v;
    if (!in) throw std::runtime_error(path + ": no number at the start");
    return v;
  }

  // Busy share of all CPU time since the previous collection; NaN on the first one.
  double cpu_percent() {
    std::istringstream in(read_file(proc_root_ + "/stat"));
    std::string label;
    in >> label;
    if (label != "cpu")
      throw std::runtime_error(proc_root_ + "/stat: first line is not the cpu total");
    double total = 0, idle = 0, v = 0;
    for (int field = 0; field < 8 && in >> v; ++field) {  // user..steal; guest is already in user
      total += v;
      if (field == 3 || field == 4) idle += v;  // idle, iowait
    }
    const double d_total = total - last_total_, d_idle = idle - last_idle_;
    const bool first = last_total_ == 0;
    last_total_ = total;
    last_idle_ = idle;
    if (first || d_total <= 0) return kNaN;
    return 100.0 * (d_total - d_idle) / d_total;
  }

  double probe_health() {
    bool ok = false;
    HttpOptions http;
    http.timeout = health_timeout_;
    try {
      const HttpResponse r = http_get(health_url_, http);
      ok = r.status >= 200 && r.status < 300;
      set_status(ok ? "ok" : "health probe: HTTP " + std::to_string(r.status));
    } catch (const std::exception& e) {
      set_status(std::string("health probe: ") + e.what());
    }
    probes_.push_back(ok);
    ok_count_ += ok;
    if (probes_.size() > window_samples_) {
      ok_count_ -= probes_.front();
      probes_.pop_front();
    }
    return 100.0 * double(ok_count_) / double(probes_.size());
  }

  std::string proc_root_;
  std::string health_url_;
  std::chrono::milliseconds health_timeout_;
  size_t window_samples_;
  double last_total_ = 0, last_idle_ = 0;
  std::deque<bool> probes_;
  size_t ok_count_ = 0;
};

}  // namespace
}  // namespace resync::plugin

RESYNC_DEFINE_PLUGIN_WITH_HINTS_AND_RULES(
    resync::plugin::SystemCollector, "system",
    "Host CPU, memory, load and uptime from /proc; resync-mon's RSS; health URL availability",
    resync::plugin::kSeries, nullptr, resync::plugin::kPresentation, nullptr)

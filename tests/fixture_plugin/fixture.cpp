// SPDX-License-Identifier: MIT
// Test-only collector driven by its options: fails, hangs or emits on request, so the sampler's
// isolation, deadlines and backoff can be exercised through the real loader; `crash` (segv, abort
// or stack_overflow) kills the process from inside collect() and `create_sleep_ms` makes startup
// slow, for the signal tests (with a "create" line in `trace_file` first). `mode_file` names a file
// read at every collect(), so a test can switch a running instance (or its restarted child) between
// normal and "segv", "abort", "hang" or "garbage" (junk bytes written to descriptor `garbage_fd`:
// under isolation: process, the channel to the parent). Compile definitions turn the same source
// into the broken plugins the host must refuse:
//   FIXTURE_ABI_VERSION=<n>  descriptor claims another ABI version
//   FIXTURE_NULL_CALLBACK    descriptor has a null collect()
//   FIXTURE_NO_ENTRY         the entry symbol is not exported at all
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>

#include "resync/plugin/plugin.hpp"

#ifndef FIXTURE_NAME
#define FIXTURE_NAME "fixture"
#endif
#ifndef FIXTURE_ABI_VERSION
#define FIXTURE_ABI_VERSION RESYNC_PLUGIN_ABI_VERSION
#endif

namespace resync::plugin {
namespace {

constexpr int kMaxSamples = 8;

#define FIXTURE_SERIES(name, unit, help) \
  { name, unit, RESYNC_KIND_GAUGE, help, "fixture." name, "fixture." name, 0 }
constexpr resync_series_desc kSeries[] = {
    FIXTURE_SERIES("fixture_calls", RESYNC_UNIT_COUNT, "Calls of collect() so far."),
    FIXTURE_SERIES("fixture_wall_ms", RESYNC_UNIT_MILLISECONDS,
                   "Wall clock when collect() started."),
    FIXTURE_SERIES("fixture_s0", RESYNC_UNIT_COUNT, "Scripted value 0."),
    FIXTURE_SERIES("fixture_s1", RESYNC_UNIT_COUNT, "Scripted value 1."),
    FIXTURE_SERIES("fixture_s2", RESYNC_UNIT_COUNT, "Scripted value 2."),
    FIXTURE_SERIES("fixture_s3", RESYNC_UNIT_COUNT, "Scripted value 3."),
    FIXTURE_SERIES("fixture_s4", RESYNC_UNIT_COUNT, "Scripted value 4."),
    FIXTURE_SERIES("fixture_s5", RESYNC_UNIT_COUNT, "Scripted value 5."),
    FIXTURE_SERIES("fixture_s6", RESYNC_UNIT_COUNT, "Scripted value 6."),
    FIXTURE_SERIES("fixture_s7", RESYNC_UNIT_COUNT, "Scripted value 7."),
};
#undef FIXTURE_SERIES

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int whole(Options& o, const char* key, int max) {
  const double v = o.get_number(key, 0);
  if (v < 0 || v > max || v != static_cast<int>(v)) {
    char got[32];
    std::snprintf(got, sizeof got, "%g", v);
    throw OptionError(key,
                      "expected a whole number from 0 to " + std::to_string(max) + ", got " + got);
  }
  return static_cast<int>(v);
}

// Faults for real (not raise()), so the host's handler is tested on what a buggy plugin does.
void crash(const std::string& how, int depth = 0) {
  if (how == "segv") {
    volatile int* volatile target = nullptr;
    *target = 42;
  } else if (how == "abort") {
    std::abort();
  } else if (how == "stack_overflow") {
    volatile char frame[4096];
    frame[0] = static_cast<char>(depth);
    crash(how, depth + frame[0] + 1);
    frame[1] = 0;  // after the call, so it is not a tail call
  }
}

class FixtureCollector final : public CollectorBase {
 public:
  explicit FixtureCollector(Options& o)
      : fail_first_(whole(o, "fail_first", 1000000)),
        fail_always_(o.get_bool("fail", false)),
        sleep_ms_(whole(o, "sleep_ms", 3600000)),
        sleep_first_(whole(o, "sleep_first", 1000000)),
        samples_(whole(o, "samples", kMaxSamples)),
        trace_file_(o.get_string("trace_file")),
        crash_(o.get_choice("crash", "", {"", "segv", "abort", "stack_overflow"})),
        mode_file_(o.get_string("mode_file")),
        garbage_fd_(whole(o, "garbage_fd", 1024)) {
    const int create_sleep_ms = whole(o, "create_sleep_ms", 3600000);
    // "create 0 <ms>" tells a test that startup has reached create(), so it signals a process
    // that is loading its configuration rather than one that may not have started yet.
    if (create_sleep_ms > 0) trace("create", 0, wall_ms());
    std::this_thread::sleep_for(std::chrono::milliseconds{create_sleep_ms});
  }

  void collect(const Emitter& emit) override {
    const int call = ++calls_;
    const int64_t started = wall_ms();
    trace("begin", call, started);
    // The trace's "end" line is written even when this call fails, so tests can check that two
    // calls on one instance never overlap.
    struct EndLine {
      FixtureCollector& self;
      int call;
      ~EndLine() { self.trace("end", call, wall_ms()); }
    } end_line{*this, call};

    if (sleep_ms_ > 0 && (sleep_first_ == 0 || call <= sleep_first_)) {
      std::this_thread::sleep_for(std::chrono::milliseconds{sleep_ms_});
    }
    if (!crash_.empty()) crash(crash_);
    if (!mode_file_.empty()) act_on_mode();
    if (fail_always_ || call <= fail_first_) {
      set_status("failing");
      throw std::runtime_error("fixture: failing as configured (call " + std::to_string(call) +
                               ")");
    }
    set_status("ok");
    emit("fixture_calls", call);
    emit("fixture_wall_ms", static_cast<double>(started));
    for (int i = 0; i < samples_; ++i) emit(kSeries[2 + i].name, call * 100.0 + i);
  }

 private:
  void trace(const char* what, int call, int64_t at) const {
    if (trace_file_.empty()) return;
    std::ofstream out(trace_file_, std::ios::app);
    out << what << ' ' << call << ' ' << at << '\n';
  }

  void act_on_mode() const {
    std::ifstream in(mode_file_);
    std::string mode;
    in >> mode;
    if (mode == "segv" || mode == "abort") crash(mode);
    if (mode == "hang") std::this_thread::sleep_for(std::chrono::hours{1});
    if (mode == "garbage" && garbage_fd_ > 0) {
      // A length prefix far above any frame limit, then text: what a plugin printing to the
      // wrong descriptor would send.
      static const char kJunk[] = "\xff\xff\xff\x7fnot a frame at all";
      ssize_t ignored = write(garbage_fd_, kJunk, sizeof kJunk - 1);
      (void)ignored;
    }
  }

  int fail_first_;
  bool fail_always_;
  int sleep_ms_;
  int sleep_first_;
  int samples_;
  std::string trace_file_;
  std::string crash_;
  std::string mode_file_;
  int garbage_fd_;
  int calls_ = 0;
};

}  // namespace
}  // namespace resync::plugin

#ifndef FIXTURE_NO_ENTRY
extern "C" RESYNC_PLUGIN_EXPORT const resync_plugin_v1* resync_plugin_entry(uint32_t) {
  using Adapter = resync::plugin::detail::Adapter<resync::plugin::FixtureCollector>;
#ifdef FIXTURE_NULL_CALLBACK
  constexpr decltype(&Adapter::collect) collect = nullptr;
#else
  constexpr decltype(&Adapter::collect) collect = &Adapter::collect;
#endif
#ifdef FIXTURE_BAD_RULE
  // A default rule on a series the plugin does not declare: the host must refuse the file.
  static const resync_alert_rule rules[] = {
      resync::plugin::DefaultRule("not_my_series").warning(RESYNC_CMP_ABOVE, 1).rule()};
  constexpr uint32_t rule_count = 1;
#else
  constexpr const resync_alert_rule* rules = nullptr;
  constexpr uint32_t rule_count = 0;
#endif
  static const auto names = resync::plugin::series_names(resync::plugin::kSeries);
  static const resync_plugin_v1 table{FIXTURE_ABI_VERSION,
                                      sizeof(resync_plugin_v1),
                                      FIXTURE_NAME,
                                      "Test fixture: fails, hangs or emits as its options say",
                                      names.data(),
                                      static_cast<uint32_t>(names.size()),
                                      0,
                                      &Adapter::create,
                                      collect,
                                      &Adapter::last_error,
                                      &Adapter::status,
                                      &Adapter::destroy,
                                      resync::plugin::kSeries,
                                      sizeof(resync_series_desc),
                                      "fixture.status",
                                      nullptr,
                                      rules,
                                      rule_count,
                                      sizeof(resync_alert_rule)};
  return &table;
}
#else
// A shared library that exports something, just not the entry point.
extern "C" RESYNC_PLUGIN_EXPORT int resync_fixture_not_a_plugin() { return 42; }
#endif

// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>

namespace resync {

/// Stop and hangup signals for the whole process. Call first in main(), before any other thread
/// exists: it blocks SIGINT, SIGTERM and SIGHUP in the calling thread, so every thread started
/// later inherits the mask, and starts one thread that sigwait()s for them, so they work from the
/// first instant, even while a configuration loads (until take_signals()):
/// - SIGHUP is logged and otherwise ignored (resync-mon logs to stderr, so there is no log file to
///   reopen) until arm_hangup(); from then on wait_for_signal() returns it (serve reloads).
/// - SIGINT or SIGTERM before arm_stop_signals() ends the process at once by that signal (nothing
///   needs saving while a configuration loads or plugins start), one log line first.
/// - After arm_stop_signals(), wait_for_stop_signal() returns it; a second one while stopping
///   ends the process at once.
void start_signal_thread();
/// From here on a stop signal is delivered to wait_for_stop_signal() instead of ending the process.
void arm_stop_signals();
/// How SIGINT or SIGTERM before arm_stop_signals() ends the process. The default suits serve:
/// log "received SIGINT while starting, exiting" and die by the signal. `during` replaces "while
/// starting" ("" for none; nullptr for no log line). With `exit_code` >= 0 the process prints
/// `status_prefix` + the signal's name as one line on stdout (when not null) and exits with that
/// code instead: `check` must end UNKNOWN (3) with a status line, not by the signal. Pointers must
/// be to static storage.
void set_early_stop(const char* during, int exit_code = -1, const char* status_prefix = nullptr);
/// Blocks until SIGINT or SIGTERM arrives after arm_stop_signals(); returns its number. Relies on
/// the signal thread: not after take_signals().
int wait_for_stop_signal();
/// From here on SIGHUP is returned by wait_for_signal() instead of being logged and ignored.
void arm_hangup();
/// After arm_stop_signals() and arm_hangup(): from here on the calling thread takes the signals
/// itself, in wait_for_signal(), and the signal thread ends (returns once it has), so a process
/// that only waits for signals holds no thread for them. Nothing is lost meanwhile: the signals
/// stay blocked in every thread. When wait_for_signal() returns a stop signal the signal thread
/// starts again, so that a second one while stopping still ends the process at once. Call from
/// the thread that called start_signal_thread().
void take_signals();
/// Blocks until a stop signal (after arm_stop_signals()) or a SIGHUP (after arm_hangup())
/// arrives; returns its number. A stop wins over a pending SIGHUP, and SIGHUPs that arrive before
/// the pending one is returned count as one. After take_signals() it sigwaits in the caller.
int wait_for_signal();

/// Installs handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT that write one line to
/// stderr with write(2), async-signal-safely: "resync-mon: fatal signal SIGSEGV in collector
/// <name>" (without " in collector ..." outside a collector run), then let the signal take its
/// default action (the process dies by it, core dump included). The handlers run on an alternate
/// stack (sigaltstack), installed here for the calling thread and by AltSignalStack for others, so
/// a stack overflow is reported too. Idempotent.
void install_fatal_signal_handlers();

/// Names the collector whose code the calling thread runs, for the fatal signal line, for the
/// object's lifetime. `name` must outlive the object. Not copyable; nest freely.
class CurrentCollector {
 public:
  explicit CurrentCollector(const char* name);
  ~CurrentCollector();
  CurrentCollector(const CurrentCollector&) = delete;
  CurrentCollector& operator=(const CurrentCollector&) = delete;

  /// The name set on the calling thread, or nullptr.
  static const char* name();

 private:
  const char* previous_;
};

/// An alternate signal stack for the calling thread, removed (and freed) on destruction, which
/// must happen on the same thread.
class AltSignalStack {
 public:
  static constexpr size_t kBytes = 64 * 1024;
  AltSignalStack();
  ~AltSignalStack();
  AltSignalStack(const AltSignalStack&) = delete;
  AltSignalStack& operator=(const AltSignalStack&) = delete;

 private:
  std::unique_ptr<char[]> stack_;
  bool installed_ = false;
};

}  // namespace resync

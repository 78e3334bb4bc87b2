// SPDX-License-Identifier: MIT
#include "resync/signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "resync/log.hpp"

namespace resync {
namespace {

// Constant-initialised and in the executable's static TLS block, so the fatal signal handler
// reads it without calling anything (a dynamic TLS access may allocate).
thread_local const char* t_collector = nullptr;

// Heap-allocated and never freed: the signal thread may still run while main() returns and
// static objects are destroyed.
struct EarlyStop {
  const char* during = "while starting";
  int exit_code = -1;
  const char* status_prefix = nullptr;
};

struct StopState {
  EarlyStop early;
  sigset_t set;  // SIGINT, SIGTERM, SIGHUP: written before the first thread starts
  std::mutex mutex;
  std::condition_variable cv;
  std::thread thread;           // the signal thread; only the thread that owns main() joins it
  bool thread_running = false;  // false: wait_for_signal() sigwaits in its caller
  bool retiring = false;        // take_signals() asked the signal thread to leave
  bool armed = false;
  bool hangup_armed = false;  // arm_hangup() called: SIGHUP goes to wait_for_signal()
  bool hangup = false;        // a SIGHUP not yet returned by wait_for_signal()
  int received = 0;
};
StopState& stop_state() {
  static auto* state = new StopState;
  return *state;
}

const char* signal_name(int signo) {
  switch (signo) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGABRT:
      return "SIGABRT";
  }
  return "signal";
}

// Ends the process by `signo` as if it had never been caught, so the parent sees the real cause.
[[noreturn]] void die_by(int signo) {
  signal(signo, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  raise(signo);
  _exit(128 + signo);
}

// What a stop or hangup signal does, wherever it was taken. Called with `lock` held; returns with
// it released when it logged.
void deliver(int signo, std::unique_lock<std::mutex>& lock) {
  StopState& s = stop_state();
  if (signo == SIGHUP) {
    // Hangups while one is pending (or being handled) become one more reload, not a queue.
    if (s.hangup_armed) {
      s.hangup = true;
      s.cv.notify_all();
      return;
    }
    lock.unlock();
    log_info(
        "received SIGHUP: ignored (only a running `serve` reloads its configuration on it; "
        "resync-mon logs to stderr, so there is no log file to reopen)");
    return;
  }
  if (!s.armed) {
    const EarlyStop early = s.early;
    lock.unlock();
    if (early.during) {
      log_info(std::string("received ") + signal_name(signo) + (*early.during ? " " : "") +
               early.during + ", exiting");
    }
    if (early.exit_code < 0) die_by(signo);
    if (early.status_prefix) {
      std::printf("%s%s\n", early.status_prefix, signal_name(signo));
      std::fflush(stdout);
    }
    _exit(early.exit_code);
  }
  if (s.received != 0) {
    lock.unlock();
    log_warning(std::string("received ") + signal_name(signo) +
                " again while stopping, exiting at once");
    die_by(signo);
  }
  s.received = signo;
  s.cv.notify_all();
}

// take_signals()'s request to leave: a SIGHUP this process queued to this very thread. Another
// process cannot forge it (its pid would be in si_pid). Queued rather than pthread_kill()ed:
// some kernels report a tgkill as SI_USER, which a plain `kill -HUP` from a shell also is.
constexpr int kRetireValue = 0x7e5;
bool is_retire_request(const StopState& s, const siginfo_t& info) {
  return info.si_signo == SIGHUP && s.retiring && info.si_code == SI_QUEUE &&
         info.si_pid == getpid() && info.si_value.sival_int == kRetireValue;
}

void signal_thread() {
  StopState& s = stop_state();
  for (;;) {
    siginfo_t info{};
    const int signo = sigwaitinfo(&s.set, &info);
    if (signo < 0) continue;
    std::unique_lock lock(s.mutex);
    if (is_retire_request(s, info)) {
      s.retiring = false;
      s.thread_running = false;
      s.cv.notify_all();
      return;
    }
    deliver(signo, lock);
  }
}

// Called with the state's mutex held. The thread object lives in the never-freed state, so a
// thread still running while main() returns is never destroyed joinable.
void spawn_signal_thread(StopState& s) {
  if (s.thread_running) return;
  if (s.thread.joinable()) s.thread.join();
  s.thread_running = true;
  s.thread = std::thread(signal_thread);
}

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
struct sigaction g_previous[sizeof kFatalSignals / sizeof kFatalSignals[0]];

void append(char* buf, size_t& used, size_t size, const char* text) {
  while (*text != '\0' && used + 1 < size) buf[used++] = *text++;
}

// Async-signal-safe only: no allocation, no stdio, no locks.
void on_fatal_signal(int signo) {
  const int saved_errno = errno;
  char line[320];
  size_t used = 0;
  append(line, used, sizeof line, "resync-mon: fatal signal ");
  append(line, used, sizeof line, signal_name(signo));
  if (const char* name = t_collector) {
    append(line, used, sizeof line, " in collector ");
    append(line, used, sizeof line, name);
  }
  line[used++] = '\n';
  ssize_t ignored = write(STDERR_FILENO, line, used);
  (void)ignored;
  // Hand the signal back to whoever had it before (the default action, or a sanitizer's report):
  // raised again here it is pending until this handler returns, and a faulting instruction
  // faults again on return anyway.
  for (size_t i = 0; i < sizeof kFatalSignals / sizeof kFatalSignals[0]; ++i) {
    if (kFatalSignals[i] == signo) sigaction(signo, &g_previous[i], nullptr);
  }
  raise(signo);
  errno = saved_errno;
}

}  // namespace

void start_signal_thread() {
  static std::once_flag once;
  std::call_once(once, [] {
    StopState& s = stop_state();
    sigemptyset(&s.set);
    sigaddset(&s.set, SIGINT);
    sigaddset(&s.set, SIGTERM);
    sigaddset(&s.set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &s.set, nullptr);
    std::lock_guard lock(s.mutex);
    spawn_signal_thread(s);
  });
}

void set_early_stop(const char* during, int exit_code, const char* status_prefix) {
  StopState& s = stop_state();
  std::lock_guard lock(s.mutex);
  s.early = {during, exit_code, status_prefix};
}

void arm_stop_signals() {
  StopState& s = stop_state();
  std::lock_guard lock(s.mutex);
  s.armed = true;
}

int wait_for_stop_signal() {
  StopState& s = stop_state();
  std::unique_lock lock(s.mutex);
  s.cv.wait(lock, [&s] { return s.received != 0; });
  return s.received;
}

void arm_hangup() {
  StopState& s = stop_state();
  std::lock_guard lock(s.mutex);
  s.hangup_armed = true;
}

void take_signals() {
  StopState& s = stop_state();
  std::unique_lock lock(s.mutex);
  // Already stopping: the thread stays, so that a second stop signal ends the process at once.
  if (!s.thread_running || s.received != 0) return;
  s.retiring = true;
  sigval value{};
  value.sival_int = kRetireValue;
  if (pthread_sigqueue(s.thread.native_handle(), SIGHUP, value) != 0) {
    s.retiring = false;  // the queue is full (RLIMIT_SIGPENDING): keep the thread, lose nothing
    return;
  }
  // Signals stay blocked everywhere meanwhile: one arriving now waits, pending, for whichever
  // thread sigwaits next, or was already recorded by the signal thread before it left.
  s.cv.wait(lock, [&s] { return !s.thread_running; });
  lock.unlock();
  s.thread.join();
}

int wait_for_signal() {
  StopState& s = stop_state();
  std::unique_lock lock(s.mutex);
  for (;;) {
    if (s.received != 0) {
      // Stopping can take a while (a collector's deadline, the state file): from here on a
      // second stop signal must end the process at once, which is the signal thread's job.
      spawn_signal_thread(s);
      return s.received;  // a stop wins over a pending reload
    }
    if (s.hangup) {
      s.hangup = false;
      return SIGHUP;
    }
    if (s.thread_running) {
      s.cv.wait(lock);
      continue;
    }
    lock.unlock();
    siginfo_t info{};
    const int signo = sigwaitinfo(&s.set, &info);
    lock.lock();
    if (signo > 0) deliver(signo, lock);
    if (!lock.owns_lock()) lock.lock();
  }
}

void install_fatal_signal_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    static AltSignalStack main_stack;  // the installing thread's; worker threads bring their own
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_handler = on_fatal_signal;
    action.sa_flags = SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof kFatalSignals / sizeof kFatalSignals[0]; ++i) {
      sigaction(kFatalSignals[i], &action, &g_previous[i]);
    }
  });
}

CurrentCollector::CurrentCollector(const char* name) : previous_(t_collector) {
  t_collector = name;
}
CurrentCollector::~CurrentCollector() { t_collector = previous_; }
const char* CurrentCollector::name() { return t_collector; }

AltSignalStack::AltSignalStack() : stack_(new char[kBytes]) {
  stack_t ss{};
  ss.ss_sp = stack_.get();
  ss.ss_size = kBytes;
  installed_ = sigaltstack(&ss, nullptr) == 0;
}

AltSignalStack::~AltSignalStack() {
  if (!installed_) return;
  stack_t ss{};
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, nullptr);
}

}  // namespace resync

// SPDX-License-Identifier: MIT
#include "process_collector.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "resync/error.hpp"
#include "resync/isolation.hpp"
#include "resync/util/duration.hpp"

namespace resync {
namespace {

using namespace std::chrono_literals;
using detail::FrameType;
using detail::ReceiveStatus;

constexpr auto kFirstRestartDelay = std::chrono::milliseconds{500};
constexpr auto kMaxRestartDelay = std::chrono::milliseconds{30000};
// How long a child that closed its end gets to finish dying before it is killed: long enough for
// the kernel to turn a crash into an exit status, short against any collect deadline.
constexpr auto kExitGrace = std::chrono::milliseconds{200};

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) {
    const int signo = WTERMSIG(status);
    const char* abbrev = sigabbrev_np(signo);
    return std::string("crashed: ") +
           (abbrev ? std::string("SIG") + abbrev : std::to_string(signo));
  }
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  return "ended with status " + std::to_string(status);
}

// The sampler gives up on a collector at its timeout; answering a little before lets the
// collector's own, more precise error ("hung: ...; killed") reach the health document.
std::chrono::milliseconds collect_budget(std::chrono::milliseconds timeout) {
  return timeout - std::min<std::chrono::milliseconds>(100ms, timeout / 10);
}

// In the forked child, before exec: async-signal-safe calls only, since the parent has other
// threads whose locks (malloc's included) may be held in this copy of it.
[[noreturn]] void exec_child(pid_t parent, int channel_fd, int devnull, long max_fd, char** argv) {
  // SIGKILL when the forking thread ends; a parent already gone before this call has
  // reparented us, and no one would ever read the answers.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0);
  // Out of the terminal's process group: Ctrl-C stops the monitor, which then ends its children
  // in order, instead of every child dying at once and being reported as crashed.
  setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  if (channel_fd == kCollectorHostFd) {
    fcntl(channel_fd, F_SETFD, 0);
  } else {
    dup2(channel_fd, kCollectorHostFd);
  }
  // Descriptors some library opened without O_CLOEXEC (a listening socket, say) must not live on
  // in the child.
  bool closed = false;
#ifdef SYS_close_range
  closed = syscall(SYS_close_range, kCollectorHostFd + 1, ~0U, 0) == 0;
#endif
  for (long fd = kCollectorHostFd + 1; !closed && fd < max_fd; ++fd) close(static_cast<int>(fd));
  execv(argv[0], argv);
  _exit(127);
}

std::string& host_executable_override() {
  static std::string path;
  return path;
}

}  // namespace

const char* isolation_name(Isolation isolation) {
  return isolation == Isolation::kProcess ? "process" : "in-process";
}

std::string collector_host_executable() {
  if (!host_executable_override().empty()) return host_executable_override();
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : "resync-mon";
}

void set_collector_host_executable(const std::string& path) { host_executable_override() = path; }

ProcessCollector::ProcessCollector(Options options) : options_(std::move(options)) {
  std::string why;
  bool create_failed = false;
  if (!start(Clock::now() + options_.start_timeout, why, create_failed)) {
    throw PluginLoadError(create_failed ? why
                                        : "collector host for " + options_.instance + ": " + why);
  }
}

ProcessCollector::~ProcessCollector() {
  // Closing the channel is the request to stop: the child destroys its instance and exits.
  if (pid_ > 0) end_child(Clock::now() + 500ms);
}

bool ProcessCollector::start(Clock::time_point deadline, std::string& why, bool& create_failed) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    why = std::string("cannot create a socket pair: ") + std::strerror(errno);
    return false;
  }
  const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::vector<std::string> args = {
      options_.executable, "collector-host", "--plugin", options_.plugin_path,
      "--plugin-name",     options_.plugin,  "--name",   options_.instance};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const long max_fd = std::min(sysconf(_SC_OPEN_MAX), 65536L);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) exec_child(parent, sv[1], devnull, max_fd, argv.data());
  close(sv[1]);
  if (devnull >= 0) close(devnull);
  if (pid < 0) {
    close(sv[0]);
    why = std::string("cannot fork: ") + std::strerror(errno);
    return false;
  }
  pid_ = pid;
  fd_ = sv[0];
  channel_.emplace(fd_, detail::kMaxChildFrameBytes);

  detail::Frame frame;
  ReceiveStatus got = ReceiveStatus::kClosed;
  std::string garbage;
  if (channel_->send(FrameType::kConfig, options_.config_json, deadline)) {
    try {
      got = channel_->receive(frame, deadline);
    } catch (const detail::ProtocolError& e) {
      garbage = e.what();
    }
  }
  const auto grace = std::min(Clock::now() + kExitGrace, deadline);
  if (!garbage.empty()) {
    end_child(Clock::now());
    why = "protocol error: " + garbage + "; killed";
  } else if (got == ReceiveStatus::kTimeout) {
    end_child(Clock::now());
    why = "no answer to create() in time; killed";
  } else if (got == ReceiveStatus::kClosed) {
    const std::string how = end_child(grace);
    why = how == "exited with code 127" ? "cannot run " + options_.executable : how;
  } else if (frame.type == FrameType::kCreateFailed) {
    end_child(grace);
    create_failed = true;
    why = frame.payload.substr(0, detail::kMaxResultTextBytes);
  } else if (frame.type != FrameType::kReady) {
    end_child(Clock::now());
    why = "protocol error: unexpected frame type " + std::to_string(static_cast<int>(frame.type)) +
          " after the config; killed";
  } else {
    return true;
  }
  return false;
}

std::string ProcessCollector::end_child(Clock::time_point grace_until) {
  channel_.reset();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(pid_, &status, WNOHANG)) == 0 && Clock::now() < grace_until)
    std::this_thread::sleep_for(2ms);
  if (done == 0) {
    kill(pid_, SIGKILL);
    while ((done = waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
  return done == pid_t{-1} ? "vanished (not our child any more)" : describe_exit(status);
}

void ProcessCollector::fail(const std::string& message) {
  status_.clear();
  ++consecutive_failures_;
  auto delay = kFirstRestartDelay;
  for (uint32_t i = 1; i < consecutive_failures_ && delay < kMaxRestartDelay; ++i) delay *= 2;
  next_start_ = Clock::now() + std::min(delay, kMaxRestartDelay);
  last_failure_ = message;
  throw CollectError(message);
}

void ProcessCollector::collect(SampleSink& sink) {
  const auto budget = collect_budget(options_.timeout);
  const auto deadline = Clock::now() + budget;
  if (pid_ < 0) {
    const auto now = Clock::now();
    if (now < next_start_) {
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_start_ - now);
      throw CollectError(last_failure_ + "; restarting in " + format_duration(wait));
    }
    ++restarts_;
    std::string why;
    bool create_failed = false;
    if (!start(deadline, why, create_failed))
      fail(create_failed ? "create() failed on restart: " + why : why);
  }
  detail::Frame frame;
  ReceiveStatus got = ReceiveStatus::kClosed;
  try {
    if (channel_->send(FrameType::kCollect, {}, deadline)) got = channel_->receive(frame, deadline);
  } catch (const detail::ProtocolError& e) {
    end_child(Clock::now());
    fail(std::string("protocol error: ") + e.what() + "; killed");
  }
  if (got == ReceiveStatus::kTimeout) {
    end_child(Clock::now());
    fail("hung: no answer within " + format_duration(budget) + "; killed");
  }
  if (got == ReceiveStatus::kClosed) fail(end_child(std::min(Clock::now() + kExitGrace, deadline)));
  if (frame.type != FrameType::kResult) {
    end_child(Clock::now());
    fail("protocol error: unexpected frame type " + std::to_string(static_cast<int>(frame.type)) +
         "; killed");
  }
  detail::CollectResult result;
  try {
    result = detail::decode_result(frame.payload);
  } catch (const detail::ProtocolError& e) {
    end_child(Clock::now());
    fail(std::string("protocol error: ") + e.what() + "; killed");
  }
  consecutive_failures_ = 0;
  status_ = std::move(result.status);
  // A failure the plugin reported is an ordinary collect error: the child is healthy and stays.
  if (!result.ok) throw CollectError(result.error.empty() ? "collect() failed" : result.error);
  for (const auto& [metric, value] : result.samples) sink.emit(metric, value);
}

}  // namespace resync

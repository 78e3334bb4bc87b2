// SPDX-License-Identifier: MIT
// The probes behind `resync-mon discover`: each asks one loopback port or file whether it is
// something a collector can watch, within the time left before the shared deadline.
#include "discover_probes.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "resync/http/client.hpp"

namespace resync::cli::probe {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 0));
}

// A file descriptor closed on every path out of a probe.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int ms = remaining_ms(deadline);
    if (ms <= 0) return false;
    const int n = ::poll(&p, 1, ms);
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

// Non-blocking connect to 127.0.0.1:port, bounded by the deadline; -1 when nothing accepts.
int connect_loopback(uint16_t port, Clock::time_point deadline) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int error = errno;
    if (error == EINPROGRESS && wait_for(fd, POLLOUT, deadline)) {
      socklen_t len = sizeof error;
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) error = errno;
    }
    if (error != 0) {
      ::close(fd);
      return -1;
    }
  }
  return fd;
}

std::string address(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

}  // namespace

RedisAnswer redis(uint16_t port, Clock::time_point deadline) {
  Fd sock{connect_loopback(port, deadline)};
  if (sock.fd < 0) return RedisAnswer::kNone;
  static constexpr char kPing[] = "PING\r\n";
  if (::send(sock.fd, kPing, sizeof kPing - 1, MSG_NOSIGNAL) != sizeof kPing - 1)
    return RedisAnswer::kNone;
  // One RESP line is all PING gets back; anything longer is not Redis.
  std::string reply;
  char buf[256];
  while (reply.find("\r\n") == std::string::npos && reply.size() < sizeof buf) {
    if (!wait_for(sock.fd, POLLIN, deadline)) return RedisAnswer::kNone;
    const ssize_t n = ::recv(sock.fd, buf, sizeof buf, 0);
    if (n <= 0) return RedisAnswer::kNone;
    reply.append(buf, static_cast<size_t>(n));
  }
  if (reply.rfind("+PONG\r\n", 0) == 0) return RedisAnswer::kOpen;
  // Redis without the password: "-NOAUTH Authentication required."; with ACLs and a default
  // user that is off, some versions say "-NOPERM" instead.
  if (reply.rfind("-NOAUTH", 0) == 0 || reply.rfind("-NOPERM", 0) == 0)
    return RedisAnswer::kNeedsPassword;
  return RedisAnswer::kNone;
}

PrometheusAnswer prometheus(uint16_t port, Clock::time_point deadline) {
  PrometheusAnswer answer;
  http::HttpOptions options;
  options.max_body_bytes = 4 * 1024 * 1024;
  options.timeout = std::chrono::milliseconds{remaining_ms(deadline)};
  if (options.timeout.count() <= 0) return answer;
  try {
    const http::HttpResponse r = http::http_get("http://" + address(port) + "/metrics", options);
    if (r.status != 200) return answer;
    // A sample or TYPE line of the family at the start of a line: the instrumentator's names.
    auto has_family = [&](const std::string& family) {
      return r.body.rfind(family, 0) == 0 || r.body.find("\n" + family) != std::string::npos ||
             r.body.find("# TYPE " + family + " ") != std::string::npos;
    };
    answer.requests = has_family("http_requests_total") || has_family("http_requests{");
    answer.durations = has_family("http_request_duration_seconds");
  } catch (const std::exception&) {
    // Not HTTP, not answering in time, or refused: nothing there for the api collector.
  }
  return answer;
}

bool resync_current(uint16_t port, Clock::time_point deadline) {
  http::HttpOptions options;
  options.max_body_bytes = 1024 * 1024;
  options.timeout = std::chrono::milliseconds{remaining_ms(deadline)};
  if (options.timeout.count() <= 0) return false;
  try {
    const http::HttpResponse r =
        http::http_get("http://" + address(port) + "/api/monitoring/current", options);
    if (r.status != 200) return false;
    Poco::JSON::Parser parser;
    const auto root = parser.parse(r.body).extract<Poco::JSON::Object::Ptr>();
    const auto agents = root ? root->getObject("agents") : nullptr;
    const auto llm = root ? root->getObject("llm") : nullptr;
    return agents && llm && agents->has("active") && agents->has("created_total") &&
           llm->has("requests") && llm->has("tokens_used");
  } catch (const std::exception&) {
    return false;  // not JSON, not an object, or not Resync's shape
  }
}

std::optional<std::string> access_log_time_unit(const std::string& path) {
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  struct stat st {};
  if (file.fd < 0 || ::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
    return std::nullopt;
  // The last 16 KB hold a few complete lines of any real log; a line longer than that is no
  // access log line worth following.
  constexpr off_t kTail = 16 * 1024;
  const off_t from = std::max<off_t>(st.st_size - kTail, 0);
  std::string tail(static_cast<size_t>(st.st_size - from), '\0');
  const ssize_t n = ::pread(file.fd, tail.data(), tail.size(), from);
  if (n <= 0) return std::nullopt;
  tail.resize(static_cast<size_t>(n));
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  const size_t start = tail.rfind('\n');
  const std::string line = start == std::string::npos ? tail : tail.substr(start + 1);
  // Combined/common format: a quoted request, then status and bytes, then (here) a time.
  const size_t request = line.find(" \"");
  const size_t last_space = line.find_last_of(' ');
  if (request == std::string::npos || last_space == std::string::npos || last_space < request)
    return std::nullopt;
  const std::string last = line.substr(last_space + 1);
  if (last.empty() || last.find_first_not_of("0123456789.") != std::string::npos ||
      std::count(last.begin(), last.end(), '.') > 1)
    return std::nullopt;
  // nginx's $request_time is seconds with a fraction; a whole number is Apache's %D (µs).
  return last.find('.') != std::string::npos ? "s" : "us";
}

std::optional<int> tws(uint16_t port, Clock::time_point deadline) {
  http::HttpOptions options;
  options.timeout = std::chrono::milliseconds{remaining_ms(deadline)};
  // Only to learn whether an engine answers: its certificate is checked when the collector runs
  // with the credentials and CA file the operator adds.
  options.insecure = true;
  options.max_body_bytes = 64 * 1024;
  if (options.timeout.count() <= 0) return std::nullopt;
  // A plain connect first: with nothing on the port (the usual case) OpenSSL is never loaded,
  // which keeps about 4 MB of libcrypto and libssl pages out of an idle server's RSS.
  if (Fd sock{connect_loopback(port, deadline)}; sock.fd < 0) return std::nullopt;
  try {
    return http::http_get("https://" + address(port) + "/twsd/api/v2/engine/info", options).status;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace resync::cli::probe

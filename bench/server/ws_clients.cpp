// SPDX-License-Identifier: MIT
// Holds N WebSocket clients on resync-mon's /api/monitoring/ws through a number of pushes and
// prints, per push, how many clients received it, the latency from the sample's grid time (the
// document's "timestamp") to arrival, and the spread from the first arrival. One thread and
// epoll, so the client adds microseconds, not milliseconds, to what it measures. Frames go
// through the server's own codec (server/src/ws_frame.hpp).
// Build: the ws_clients target (bench/server/run builds it).
// Usage: ws_clients PORT CLIENTS PUSHES TIMEOUT_S
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ws_frame.hpp"

namespace {

namespace ws = resync::server::detail;

double now_ms() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct Client {
  int fd = -1;
  bool upgraded = false;
  bool got_first = false;
  bool closed = false;
  std::string input;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p / 100 * v.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s PORT CLIENTS PUSHES TIMEOUT_S\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int n = std::atoi(argv[2]);
  const size_t pushes = static_cast<size_t>(std::atoi(argv[3]));
  const double deadline = now_ms() + std::atof(argv[4]) * 1000;
  const std::string request =
      "GET /api/monitoring/ws HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
      "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";

  const int ep = epoll_create1(0);
  std::vector<Client> clients(static_cast<size_t>(n));
  std::map<int, size_t> by_fd;
  const double connect_start = now_ms();
  for (int i = 0; i < n; ++i) {
    Client& c = clients[static_cast<size_t>(i)];
    c.fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Blocking connect and request: the kernel completes the handshake from the backlog at once.
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        send(c.fd, request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size())) {
      std::fprintf(stderr, "client %d: %s\n", i, std::strerror(errno));
      c.closed = true;
      continue;
    }
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<uint64_t>(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  }

  int upgraded = 0, first_documents = 0, closed = 0, refused = 0;
  double connected_ms = 0;
  long newest_initial = 0;
  std::map<long, std::vector<double>> arrivals;  // document timestamp (s) -> arrival times (ms)
  auto push_stamps = [&] {
    std::vector<long> out;
    for (const auto& [t, v] : arrivals) {
      if (t > newest_initial && out.size() < pushes) out.push_back(t);
    }
    return out;
  };
  auto done = [&] {
    const auto stamps = push_stamps();
    if (stamps.size() < pushes) return false;
    for (long t : stamps) {
      if (arrivals[t].size() < static_cast<size_t>(upgraded)) return false;
    }
    return true;
  };

  std::vector<epoll_event> events(1024);
  char buf[65536];
  while (!done() && now_ms() < deadline) {
    const int ready = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int e = 0; e < ready; ++e) {
      Client& c = clients[events[static_cast<size_t>(e)].data.u64];
      for (;;) {
        const ssize_t got = recv(c.fd, buf, sizeof buf, 0);
        if (got > 0) {
          c.input.append(buf, static_cast<size_t>(got));
          continue;
        }
        if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
          if (!c.closed) ++closed;
          c.closed = true;
          epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        }
        break;
      }
      const double at = now_ms();
      if (!c.upgraded) {
        const size_t end = c.input.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        if (c.input.rfind("HTTP/1.1 101", 0) != 0) {
          ++refused;
          c.input.clear();
          continue;
        }
        c.upgraded = true;
        if (++upgraded == n) connected_ms = at - connect_start;
        c.input.erase(0, end + 4);
      }
      size_t pos = 0;
      for (;;) {
        const std::string_view rest = std::string_view(c.input).substr(pos);
        const auto frame = ws::decode_ws_frame_header(rest);
        if (!frame || rest.size() < frame->header_size + frame->payload_size) break;
        const std::string_view payload =
            rest.substr(frame->header_size, static_cast<size_t>(frame->payload_size));
        pos += frame->header_size + payload.size();
        const int opcode = frame->opcode;
        if (opcode == ws::kWsPing) {  // answer with a masked PONG, as a client must
          static constexpr uint8_t kMask[4] = {0x12, 0x34, 0x56, 0x78};
          const std::string pong = ws::encode_ws_frame(ws::kWsPong, payload, kMask);
          send(c.fd, pong.data(), pong.size(), MSG_NOSIGNAL);
          continue;
        }
        if (opcode != ws::kWsText) continue;
        const size_t key = payload.find("\"timestamp\":");
        const long t = key == std::string_view::npos ? 0 : std::atol(payload.data() + key + 12);
        if (!c.got_first) {  // the document sent on connect is not a push
          c.got_first = true;
          ++first_documents;
          newest_initial = std::max(newest_initial, t);
        } else {
          arrivals[t].push_back(at);
        }
      }
      c.input.erase(0, pos);
    }
  }

  std::printf(
      "clients: %d/%d upgraded in %.0f ms, %d refused, %d got the document on connect, %d closed\n",
      upgraded, n, connected_ms, refused, first_documents, closed);
  std::printf("push  timestamp    received   latency p50    p99 (ms)   spread p50    p99 (ms)\n");
  bool all = true;
  const auto stamps = push_stamps();
  for (size_t i = 0; i < stamps.size(); ++i) {
    std::vector<double> latency, spread;
    const std::vector<double>& times = arrivals[stamps[i]];
    const double first = *std::min_element(times.begin(), times.end());
    for (double a : times) {
      latency.push_back(a - stamps[i] * 1000.0);
      spread.push_back(a - first);
    }
    all = all && times.size() == static_cast<size_t>(n);
    std::printf("%-5zu %ld %5zu/%-5d %11.1f %11.1f %12.1f %11.1f\n", i + 1, stamps[i], times.size(),
                n, percentile(latency, 50), percentile(latency, 99), percentile(spread, 50),
                percentile(spread, 99));
  }
  all = all && stamps.size() == pushes;
  std::printf("goal: all %d clients served on every push: %s\n", n, all ? "PASS" : "FAIL");
  for (const Client& c : clients) close(c.fd);
  return all ? 0 : 1;
}

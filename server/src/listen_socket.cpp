// SPDX-License-Identifier: MIT
#include "listen_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace resync::server::detail {
namespace {

constexpr int kSendBufferBytes = 256 * 1024;

void describe(const sockaddr_storage& a, Accepted& out) {
  char text[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (a.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    port = ntohs(v4.sin_port);
    out.host = text;
    out.peer = out.host + ":" + std::to_string(port);
  } else if (a.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    port = ntohs(v6.sin6_port);
    out.host = text;
    out.peer = "[" + out.host + "]:" + std::to_string(port);
  } else {
    out.host = out.peer = text;
  }
}

}  // namespace

void ListenSocket::open(const Poco::Net::SocketAddress& address, int backlog) {
  // SO_REUSEADDR so a restart binds despite TIME_WAIT, but never SO_REUSEPORT (Poco's
  // two-argument bind sets both), which would let a second server share the port silently.
  bind(address, true, false);
  listen(backlog);
  setBlocking(false);
}

std::optional<Accepted> ListenSocket::accept_one() {
  sockaddr_storage peer{};
  for (;;) {
    socklen_t length = sizeof peer;
    const int fd = ::accept4(impl()->sockfd(), reinterpret_cast<sockaddr*>(&peer), &length,
                             SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
      throw std::system_error(errno, std::generic_category(), "accept");
    }
    // Room for the largest document (/history of a 2 h window, about 100 KB) in one go, so the
    // loop hands it to the kernel and moves on instead of waiting for EPOLLOUT.
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSendBufferBytes, sizeof kSendBufferBytes);
    // Answers leave whole (one writev, or a head held by MSG_MORE and then sendfile), so Nagle
    // could only hold an answer's last short segment until the client's delayed ACK, 40 ms
    // later: that was /history's p99. nginx sets tcp_nodelay on keep-alive connections likewise.
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Accepted a;
    a.fd = fd;
    describe(peer, a);
    return a;
  }
}

}  // namespace resync::server::detail

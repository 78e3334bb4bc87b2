// SPDX-License-Identifier: MIT
#include "listen_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>

namespace resync::server::detail {
namespace {

constexpr int kSendBufferBytes = 256 * 1024;

Poco::Net::SocketAddress to_address(const sockaddr_storage& a, socklen_t length) {
  return Poco::Net::SocketAddress(reinterpret_cast<const sockaddr*>(&a), length);
}

}  // namespace

AcceptedSocketImpl::AcceptedSocketImpl(poco_socket_t fd, const Poco::Net::SocketAddress& peer,
                                       const Poco::Net::SocketAddress& local)
    : StreamSocketImpl(fd), peer_(peer), local_(local) {}

int AcceptedSocketImpl::receiveBytes(void* buffer, int length, int flags) {
  if (taken_ < pending_.size() && length > 0) {
    const size_t n = std::min(static_cast<size_t>(length), pending_.size() - taken_);
    std::memcpy(buffer, pending_.data() + taken_, n);
    if ((flags & MSG_PEEK) == 0) taken_ += n;
    if (taken_ == pending_.size()) {
      pending_.clear();
      taken_ = 0;
    }
    return static_cast<int>(n);
  }
  return StreamSocketImpl::receiveBytes(buffer, length, flags);
}

bool AcceptedSocketImpl::poll(const Poco::Timespan& timeout, int mode) {
  if ((mode & SELECT_READ) && taken_ < pending_.size()) return true;
  pollfd p{sockfd(), 0, 0};
  if (mode & SELECT_READ) p.events |= POLLIN;
  if (mode & SELECT_WRITE) p.events |= POLLOUT;
  if (mode & SELECT_ERROR) p.events |= POLLPRI;
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::microseconds(timeout.totalMicroseconds());
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    const int ready = ::poll(&p, 1, static_cast<int>(left > 0 ? left : 0));
    if (ready >= 0) return ready > 0;
    if (errno != EINTR) error(errno);
  }
}

void ListenSocket::open(const Poco::Net::SocketAddress& address, int backlog) {
  // SO_REUSEADDR so a restart binds despite TIME_WAIT, but never SO_REUSEPORT (Poco's
  // two-argument bind sets both), which would let a second server share the port silently.
  bind(address, true, false);
  listen(backlog);
  setBlocking(false);
}

Poco::AutoPtr<AcceptedSocketImpl> ListenSocket::accept_one() {
  sockaddr_storage peer{};
  for (;;) {
    socklen_t length = sizeof peer;
    const int fd =
        ::accept4(impl()->sockfd(), reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return nullptr;
      throw std::system_error(errno, std::generic_category(), "accept");
    }
    // Room for the largest document (/history of a 2 h window, about 100 KB) in one go, so a
    // worker hands it to the kernel and moves on instead of blocking until the client reads.
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSendBufferBytes, sizeof kSendBufferBytes);
    sockaddr_storage local{};
    socklen_t local_length = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0) {
      ::close(fd);
      continue;  // the peer is already gone
    }
    return new AcceptedSocketImpl(fd, to_address(peer, length), to_address(local, local_length));
  }
}

}  // namespace resync::server::detail

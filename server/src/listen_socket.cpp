// SPDX-License-Identifier: MIT
#include "listen_socket.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <Poco/Net/ServerSocketImpl.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <system_error>

namespace resync::server::detail {
namespace {

constexpr int kSendBufferBytes = 256 * 1024;

// Both addresses are taken once, at accept, and never change: the object is immutable apart from
// what Poco itself keeps, so the threads that pass a connection along need nothing more than Poco's
// own hand-over.
class AcceptedSocketImpl final : public Poco::Net::StreamSocketImpl {
 public:
  AcceptedSocketImpl(poco_socket_t fd, const Poco::Net::SocketAddress& peer,
                     const Poco::Net::SocketAddress& local)
      : StreamSocketImpl(fd), peer_(peer), local_(local) {}

  Poco::Net::SocketAddress peerAddress() override { return peer_; }
  Poco::Net::SocketAddress address() override { return local_; }

  bool poll(const Poco::Timespan& timeout, int mode) override {
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

 private:
  const Poco::Net::SocketAddress peer_;
  const Poco::Net::SocketAddress local_;
};

class ListenSocketImpl final : public Poco::Net::ServerSocketImpl {
 public:
  ListenSocketImpl() : wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  ~ListenSocketImpl() override { ::close(wake_fd_); }

  void wake() {
    stopping_ = true;
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  }

  bool poll(const Poco::Timespan& timeout, int mode) override {
    // Only the accept loop polls a listening socket, and it does so only to notice stop() in time.
    pollfd p[2] = {{sockfd(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (mode != SELECT_READ) return ServerSocketImpl::poll(timeout, mode);
    // Once woken, the loop may poll again before it sees its stop flag: short waits until it does.
    const bool stopping = stopping_.load();
    const int wait_ms =
        stopping ? static_cast<int>(std::clamp<int64_t>(timeout.totalMilliseconds(), 0, 10)) : -1;
    for (;;) {
      const int ready = ::poll(p, stopping ? 1 : 2, wait_ms);
      if (ready >= 0) return (p[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
      if (errno != EINTR) error(errno);
    }
  }

  Poco::Net::SocketImpl* acceptConnection(Poco::Net::SocketAddress& client) override {
    sockaddr_storage address{};
    for (;;) {
      socklen_t length = sizeof address;
      const int fd =
          ::accept4(sockfd(), reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC);
      if (fd >= 0) {
        client = Poco::Net::SocketAddress(reinterpret_cast<const sockaddr*>(&address), length);
        // Room for the largest document (/history of a 2 h window, about 100 KB) in one go, so a
        // worker hands it to the kernel and moves on instead of blocking until the client reads.
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSendBufferBytes, sizeof kSendBufferBytes);
        sockaddr_storage local{};
        socklen_t local_length = sizeof local;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0) {
          const int e = errno;
          ::close(fd);
          error(e);
        }
        return new AcceptedSocketImpl(
            fd, client,
            Poco::Net::SocketAddress(reinterpret_cast<const sockaddr*>(&local), local_length));
      }
      if (errno != EINTR) error(errno);
    }
  }

 private:
  const int wake_fd_;
  std::atomic<bool> stopping_{false};
};

}  // namespace

ListenSocket::ListenSocket() : ServerSocket(new ListenSocketImpl, true) {}

void ListenSocket::wake_acceptor() { static_cast<ListenSocketImpl*>(impl())->wake(); }

}  // namespace resync::server::detail

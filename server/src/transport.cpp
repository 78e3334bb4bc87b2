// SPDX-License-Identifier: MIT
#include "transport.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace resync::server::detail {

PlainTransport::~PlainTransport() { ::close(fd_); }

ssize_t PlainTransport::read(void* buffer, size_t size) {
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer, size, MSG_DONTWAIT);
    if (n >= 0 || errno != EINTR) return n;
  }
}

ssize_t PlainTransport::writev(const iovec* parts, int count) {
  // sendmsg rather than writev(2): MSG_NOSIGNAL spares the process a SIGPIPE from a gone peer.
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(parts);
  message.msg_iovlen = static_cast<size_t>(count);
  for (;;) {
    const ssize_t n = ::sendmsg(fd_, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0 || errno != EINTR) return n;
  }
}

void PlainTransport::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

}  // namespace resync::server::detail

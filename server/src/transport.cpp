// SPDX-License-Identifier: MIT
#include "transport.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace resync::server::detail {

PlainTransport::~PlainTransport() { ::close(fd_); }

ssize_t PlainTransport::read(void* buffer, size_t size) {
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer, size, MSG_DONTWAIT);
    if (n >= 0 || errno != EINTR) return n;
  }
}

ssize_t PlainTransport::writev(const iovec* parts, int count, bool more) {
  // sendmsg rather than writev(2): MSG_NOSIGNAL spares the process a SIGPIPE from a gone peer.
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(parts);
  message.msg_iovlen = static_cast<size_t>(count);
  for (;;) {
    const ssize_t n = ::sendmsg(fd_, &message, MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0));
    if (n >= 0 || errno != EINTR) return n;
  }
}

// The socket is non-blocking, so sendfile takes what the send buffer has room for.
ssize_t PlainTransport::send_file(int file, off_t* offset, size_t count) {
  for (;;) {
    const ssize_t n = ::sendfile(fd_, file, offset, count);
    if (n >= 0 || errno != EINTR) return n;
  }
}

void PlainTransport::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

}  // namespace resync::server::detail

// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <memory>

namespace resync::server::detail {

/// The byte stream under one connection, non-blocking. The connection loop reads and writes
/// HTTP and WebSocket bytes only through it, so a TLS transport (server.tls) can wrap the
/// socket without the loop knowing: it returns -1 with errno EAGAIN while it needs the
/// socket to become readable or writable (a handshake, a renegotiation) and says which in wants().
///
/// Thread-safe: no; used only by the loop that accepted the connection, upgraded or not.
class Transport {
 public:
  /// What the transport waits for after an EAGAIN, in epoll terms.
  enum Want : unsigned { kWantRead = 1, kWantWrite = 2 };

  virtual ~Transport() = default;
  /// Bytes read (> 0), 0 when the peer closed, or -1 with errno set (EAGAIN: nothing now).
  virtual ssize_t read(void* buffer, size_t size) = 0;
  /// Bytes written (>= 0, possibly fewer than given), or -1 with errno set (EAGAIN: buffer full).
  /// Never raises SIGPIPE. `more`: more bytes follow at once (plain TCP holds a short segment).
  virtual ssize_t writev(const iovec* parts, int count, bool more = false) = 0;
  ssize_t write(const void* data, size_t size) {
    iovec part{const_cast<void*>(data), size};
    return writev(&part, 1, false);
  }
  /// Bytes of `file` from `*offset` (advanced), at most `count`; -1 with errno as writev. The
  /// default reads the file and writes it; plain TCP lets the kernel send the pages (sendfile).
  /// Defined here, so that Transport has no out-of-line member: the TLS module derives from it
  /// without linking any host object.
  virtual ssize_t send_file(int file, off_t* offset, size_t count) {
    char buffer[16384];
    const ssize_t n = ::pread(file, buffer, std::min(count, sizeof buffer), *offset);
    if (n <= 0) return n;
    const ssize_t written = write(buffer, static_cast<size_t>(n));
    if (written > 0) *offset += written;
    return written;
  }
  /// No more bytes will be written (FIN after what is queued); reading goes on.
  virtual void shutdown_write() = 0;
  /// What the last EAGAIN waited for; plain TCP waits for the direction that failed.
  virtual unsigned wants() const { return 0; }
  /// Whether bytes already taken from the socket wait inside the transport (a TLS record read
  /// whole but returned in part): epoll will not report them, so a reader reads on until EAGAIN.
  virtual bool has_buffered() const { return false; }
  /// The socket, for epoll registration only.
  virtual int fd() const = 0;
};

/// Plain TCP: owns the socket descriptor and closes it.
class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(int fd) : fd_(fd) {}
  ~PlainTransport() override;
  PlainTransport(const PlainTransport&) = delete;
  PlainTransport& operator=(const PlainTransport&) = delete;

  ssize_t read(void* buffer, size_t size) override;
  ssize_t writev(const iovec* parts, int count, bool more) override;
  ssize_t send_file(int file, off_t* offset, size_t count) override;
  void shutdown_write() override;
  int fd() const override { return fd_; }

 private:
  const int fd_;
};

}  // namespace resync::server::detail

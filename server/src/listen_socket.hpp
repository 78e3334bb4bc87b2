// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <string>

namespace resync::server::detail {

/// An accepted connection as Poco sees it, plus the bytes the connection loop has already read
/// from it: receiveBytes() hands those out before reading the socket again, so Poco's request
/// parser reads a head the loop collected without a thread. The peer and local addresses are
/// taken once, at accept, and answered without system calls (Poco asks for them per request).
/// Accepted sockets get a 256 KiB send buffer, so a large document is written in one call.
///
/// Thread-safe as Poco sockets are: used by one thread at a time (the loop, then one worker).
class AcceptedSocketImpl final : public Poco::Net::StreamSocketImpl {
 public:
  AcceptedSocketImpl(poco_socket_t fd, const Poco::Net::SocketAddress& peer,
                     const Poco::Net::SocketAddress& local);

  Poco::Net::SocketAddress peerAddress() override { return peer_; }
  Poco::Net::SocketAddress address() override { return local_; }
  int receiveBytes(void* buffer, int length, int flags = 0) override;
  /// One poll(2), true at once while read-ahead bytes wait (Poco 1.11 builds an epoll instance
  /// per call).
  bool poll(const Poco::Timespan& timeout, int mode) override;

  /// Bytes received and not yet handed out: the loop appends to it, and reads it only while no
  /// worker has the socket.
  std::string& pending() {
    compact();
    return pending_;
  }
  /// Puts `bytes` back in front of the bytes not yet handed out.
  void put_back(const std::string& bytes) {
    compact();
    pending_.insert(0, bytes);
  }

 private:
  const Poco::Net::SocketAddress peer_;
  const Poco::Net::SocketAddress local_;
  void compact() {
    pending_.erase(0, taken_);
    taken_ = 0;
  }

  std::string pending_;
  size_t taken_ = 0;  // of pending_, handed out already
};

/// The listening socket: SO_REUSEADDR (never SO_REUSEPORT), non-blocking, so the connection loop
/// accepts until EAGAIN.
class ListenSocket : public Poco::Net::ServerSocket {
 public:
  /// Binds and listens; throws Poco exceptions as ServerSocket::bind does.
  void open(const Poco::Net::SocketAddress& address, int backlog);
  /// One pending connection as a blocking socket, or nullptr when none is waiting. Throws
  /// std::system_error for errors other than EAGAIN and ECONNABORTED (EMFILE among them).
  Poco::AutoPtr<AcceptedSocketImpl> accept_one();
};

}  // namespace resync::server::detail

// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Net/ServerSocket.h>

#include <optional>
#include <string>

namespace resync::server::detail {

/// A connection accept() returned: a non-blocking socket the caller now owns, and its peer.
struct Accepted {
  int fd = -1;
  std::string host;  ///< peer address, "127.0.0.1" or "::1"
  std::string peer;  ///< "host:port", for logs
};

/// The listening socket: SO_REUSEADDR (never SO_REUSEPORT), non-blocking, so the connection loop
/// accepts until EAGAIN. Accepted sockets are non-blocking and get a 256 KiB send buffer, so a
/// large document is usually taken by the kernel in one write.
class ListenSocket : public Poco::Net::ServerSocket {
 public:
  /// Binds and listens; throws Poco exceptions as ServerSocket::bind does.
  void open(const Poco::Net::SocketAddress& address, int backlog);
  /// One pending connection, or nullopt when none is waiting. Throws std::system_error for errors
  /// other than EAGAIN and ECONNABORTED (EMFILE among them).
  std::optional<Accepted> accept_one();
};

}  // namespace resync::server::detail

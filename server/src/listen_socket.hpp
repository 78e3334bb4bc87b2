// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Net/ServerSocket.h>

namespace resync::server::detail {

/// A Poco ServerSocket whose accepted connections answer Poco's per-request questions without
/// system calls where the answer cannot change: Poco's HTTP server asks every keep-alive request
/// for the peer and local address (getpeername, getsockname) and waits for it with Socket::poll,
/// which Poco 1.11 builds on a fresh epoll instance each time (epoll_create, epoll_ctl,
/// epoll_wait, close). Here the addresses are remembered and poll is one poll(2): five system
/// calls fewer per request, which is most of the gap to an event-driven server on small bodies.
/// Accepted sockets also get a 256 KiB send buffer, so a large document is written in one call.
///
/// Poco's TCPServer polls the listening socket with a 250 ms timeout to notice stop(): four
/// wake-ups a second that were most of an idle server's CPU. Here that poll waits for a connection
/// or for wake_acceptor(), without a timeout.
///
/// Thread-safe as Poco sockets are: one connection is used by one thread at a time;
/// wake_acceptor() from any thread.
class ListenSocket : public Poco::Net::ServerSocket {
 public:
  /// Throws std::system_error if eventfd fails.
  ListenSocket();
  /// Makes a waiting poll() return, and every later one honour its timeout again, capped at
  /// 10 ms: call it right before stopping the server that accepts on this socket.
  void wake_acceptor();
};

}  // namespace resync::server::detail

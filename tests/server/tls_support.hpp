// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "test_support.hpp"

/// Certificates for the TLS tests, made by the real `openssl` command line, and a way to run the
/// real `curl` and `openssl s_client` against a server.
namespace resync::test {

struct Ran {
  int status = -1;  ///< exit code; -1 when it did not exit normally
  std::string output;
};
/// Runs `command` with bash, stdin from /dev/null, stdout and stderr captured together.
Ran run(const std::string& command);

/// A CA (ca.pem, ca.key) and server certificates it signs, in a temporary folder.
class TestPki {
 public:
  TestPki();
  /// Makes `<name>.pem` and `<name>.key` (EC P-256) for CN `cn`, with SAN IP:127.0.0.1 and
  /// DNS:localhost, signed by the CA. Throws std::runtime_error when openssl fails.
  void issue(const std::string& name, const std::string& cn);
  std::string ca() const { return dir_.file("ca.pem"); }
  std::string cert(const std::string& name = "server") const { return dir_.file(name + ".pem"); }
  std::string key(const std::string& name = "server") const { return dir_.file(name + ".key"); }
  std::string file(const std::string& name) const { return dir_.file(name); }

 private:
  TempDir dir_{"resync-tls"};
};

/// A TCP connection to 127.0.0.1:port (blocking, 10 s receive timeout), closed on destruction.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  /// Sends all of `bytes`; false when the server closed or reset the connection.
  bool send(const std::string& bytes);
  /// Whether the server closed (EOF or reset) within `timeout`, reading and discarding bytes.
  bool closed_within(std::chrono::milliseconds timeout);
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

/// A real OpenSSL client over a blocking socket that verifies the server with `ca_file` (and
/// 127.0.0.1 as its address). Throws std::runtime_error when the handshake fails.
class TlsClient {
 public:
  TlsClient(uint16_t port, const std::string& ca_file);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;
  void write(const std::string& bytes);
  /// Reads until `done(received)` or EOF or a 10 s silence; returns what came.
  template <class Done>
  std::string read_until(Done done) {
    std::string received;
    while (!done(received) && read_some(received)) {
    }
    return received;
  }
  bool read_some(std::string& into);
  /// The server certificate's subject ("/CN=localhost") and the negotiated ALPN protocol.
  std::string peer_subject() const;
  std::string alpn() const;

 private:
  struct Impl;
  Impl* impl_;
};

/// The first flight of a real OpenSSL TLS client (a ClientHello record), made in memory.
std::string client_hello();

}  // namespace resync::test

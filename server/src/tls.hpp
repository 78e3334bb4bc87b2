// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "transport.hpp"

struct ssl_ctx_st;
struct ssl_st;

namespace resync::server::detail {

/// A server certificate and key loaded into an OpenSSL context: TLS 1.2 minimum, OpenSSL's
/// default ciphers, ALPN http/1.1. Immutable once loaded; a reload builds a new one, and a
/// connection keeps the context it started with (OpenSSL counts its references).
///
/// Thread-safe: wrap() from any thread.
class TlsContext {
 public:
  /// Loads `cert_file` (PEM, the certificate first, then any chain) and `key_file` (PEM). Null
  /// with `*error` set ("server.tls.key_file: ... does not match ...") when a file is missing,
  /// unreadable, not PEM, or the key is not the certificate's.
  static std::shared_ptr<const TlsContext> load(const std::string& cert_file,
                                                const std::string& key_file, std::string* error);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  /// A TLS transport over the accepted socket `fd`, which it then owns; the handshake runs in
  /// its first reads.
  std::unique_ptr<Transport> wrap(int fd) const;
  /// The certificate's subject, for logs ("/CN=localhost").
  const std::string& subject() const { return subject_; }
  /// Its notAfter as ISO-8601 UTC ("2027-12-07T19:20:13Z"), and whether that has passed.
  const std::string& expires() const { return expires_; }
  bool expired() const;

 private:
  explicit TlsContext(ssl_ctx_st* ctx) : ctx_(ctx) {}
  ssl_ctx_st* const ctx_;
  std::string subject_;
  std::string expires_;
  int64_t expires_epoch_ = 0;
};

/// TLS over a non-blocking socket with OpenSSL: SSL_read/SSL_write whose SSL_ERROR_WANT_READ and
/// _WRITE become EAGAIN, with the direction in wants(). Partial writes are on, so a write returns
/// after each record; after an EAGAIN the caller retries with the same bytes, as the connection
/// loop and the broadcaster do. A socket that sent plain HTTP gets a plain 400 before closing.
/// The OpenSSL session is made at the first read or write, so a connection that never sends a
/// byte holds none.
///
/// Thread-safe: no (as Transport).
class TlsTransport final : public Transport {
 public:
  /// Holds a reference to `ctx` until its session is made; takes over `fd`.
  TlsTransport(ssl_ctx_st* ctx, int fd);
  ~TlsTransport() override;
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  ssize_t read(void* buffer, size_t size) override;
  ssize_t writev(const iovec* parts, int count, bool more) override;
  void shutdown_write() override;
  unsigned wants() const override { return wants_; }
  bool has_buffered() const override;
  int fd() const override { return fd_; }

 private:
  bool ready();
  ssize_t failed(int ret, bool reading);

  ssl_ctx_st* const ctx_;
  ssl_st* ssl_ = nullptr;
  const int fd_;
  unsigned wants_ = 0;
  bool broken_ = false;  // a fatal TLS error: no close_notify may follow
  std::string scratch_;  // small iovec parts joined into one record
};

}  // namespace resync::server::detail

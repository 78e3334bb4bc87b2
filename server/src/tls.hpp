// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "resync/tls/module.hpp"
#include "transport.hpp"

struct ssl_ctx_st;
struct ssl_st;

namespace resync::server::detail {

/// A server certificate and key loaded into an OpenSSL context: TLS 1.2 minimum, OpenSSL's
/// default ciphers, ALPN http/1.1. Part of the TLS module (resync/tls/module.hpp), never of the
/// host. Immutable once loaded; a reload builds a new one, and a connection keeps the context it
/// started with (OpenSSL counts its references).
///
/// Thread-safe: wrap() from any thread.
class TlsContext final : public tls::ServerContext {
 public:
  /// As tls::Module::load_server_context().
  static std::shared_ptr<const TlsContext> load(const std::string& cert_file,
                                                const std::string& key_file,
                                                const std::string& plain_http_refusal,
                                                std::string* error);
  ~TlsContext() override;
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  std::unique_ptr<Transport> wrap(int fd) const override;
  const std::string& subject() const override { return subject_; }
  const std::string& expires() const override { return expires_; }
  bool expired() const override;

 private:
  TlsContext(ssl_ctx_st* ctx, const std::string& plain_http_refusal)
      : ctx_(ctx), refusal_(std::make_shared<const std::string>(plain_http_refusal)) {}
  ssl_ctx_st* const ctx_;
  std::shared_ptr<const std::string> refusal_;  // shared with the transports, which may outlive it
  std::string subject_;
  std::string expires_;
  int64_t expires_epoch_ = 0;
};

/// TLS over a non-blocking socket with OpenSSL: SSL_read/SSL_write whose SSL_ERROR_WANT_READ and
/// _WRITE become EAGAIN, with the direction in wants(). Partial writes are on, so a write returns
/// after each record; after an EAGAIN the caller retries with the same bytes, as the connection
/// loop and the broadcaster do. A socket that sent plain HTTP gets `refusal` before closing.
/// The OpenSSL session is made at the first read or write, so a connection that never sends a
/// byte holds none.
///
/// Thread-safe: no (as Transport).
class TlsTransport final : public Transport {
 public:
  /// Holds a reference to `ctx` until its session is made; takes over `fd`.
  TlsTransport(ssl_ctx_st* ctx, int fd, std::shared_ptr<const std::string> refusal);
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
  const std::shared_ptr<const std::string> refusal_;
  ssl_st* ssl_ = nullptr;
  const int fd_;
  unsigned wants_ = 0;
  bool broken_ = false;  // a fatal TLS error: no close_notify may follow
  std::string scratch_;  // small iovec parts joined into one record
};

}  // namespace resync::server::detail

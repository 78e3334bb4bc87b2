// SPDX-License-Identifier: MIT
#include "tls.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace resync::server::detail {
namespace {

// Small parts (an answer's head and a short body) are joined into one record of at most this,
// OpenSSL's largest plaintext record: one record and one system call instead of two.
constexpr size_t kJoinBytes = 16384;

// The reason of the newest OpenSSL error ("key values mismatch"), clearing the queue: it is the
// thread's, and a stale entry would confuse the next SSL_get_error on this thread.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  const char* reason = code ? ERR_reason_error_string(code) : nullptr;
  ERR_clear_error();
  return reason ? reason : "unknown OpenSSL error";
}

// Named before OpenSSL reads it, so a missing file says "No such file or directory" rather than
// OpenSSL's "system lib".
std::string unreadable(const char* key, const std::string& file) {
  std::FILE* f = std::fopen(file.c_str(), "r");
  if (f) {
    std::fclose(f);
    return "";
  }
  return std::string("server.tls.") + key + ": cannot read \"" + file +
         "\": " + std::strerror(errno);
}

// ALPN: http/1.1 when the client offers it (browsers offer h2 first); no answer otherwise, and the
// client then speaks HTTP/1.1 anyway.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length,
                const unsigned char* offered, unsigned offered_length, void*) {
  static const unsigned char kHttp11[] = "\x08http/1.1";
  unsigned char* selected = nullptr;
  unsigned char length = 0;
  if (SSL_select_next_proto(&selected, &length, kHttp11, sizeof kHttp11 - 1, offered,
                            offered_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  *out_length = length;
  return SSL_TLSEXT_ERR_OK;
}

// An encrypted key would make OpenSSL ask for its passphrase on the terminal, which a service has
// not: refuse it instead.
int no_passphrase(char*, int, int, void*) { return 0; }

// The certificate's notAfter as epoch seconds (0 when unreadable).
int64_t not_after(SSL_CTX* ctx) {
  const X509* cert = SSL_CTX_get0_certificate(ctx);
  std::tm tm{};
  if (!cert || ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::string iso_time(int64_t epoch) {
  const std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string subject_of(SSL_CTX* ctx) {
  const X509* cert = SSL_CTX_get0_certificate(ctx);
  char text[256] = "?";
  if (cert) X509_NAME_oneline(X509_get_subject_name(cert), text, sizeof text);
  return text;
}

}  // namespace

std::shared_ptr<const TlsContext> TlsContext::load(const std::string& cert_file,
                                                   const std::string& key_file,
                                                   const std::string& plain_http_refusal,
                                                   std::string* error) {
  for (const auto& [key, file] : {std::pair{"cert_file", &cert_file}, {"key_file", &key_file}}) {
    *error = unreadable(key, *file);
    if (!error->empty()) return nullptr;
  }
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    *error = "server.tls: cannot create a TLS context: " + openssl_reason();
    return nullptr;
  }
  std::shared_ptr<TlsContext> tls(new TlsContext(ctx, plain_http_refusal));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // No renegotiation (a client could make the server pay handshakes without new connections);
  // an EOF without close_notify is an ordinary close, as curl and browsers often do it.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Released buffers: an idle keep-alive connection holds no 34 KB of record buffers.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);
  SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    *error = "server.tls.cert_file: \"" + cert_file + "\" holds no usable PEM certificate (" +
             openssl_reason() + ")";
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    const int reason = ERR_GET_REASON(ERR_peek_last_error());
    const bool mismatch =
        reason == X509_R_KEY_VALUES_MISMATCH || reason == X509_R_KEY_TYPE_MISMATCH;
    *error = "server.tls.key_file: \"" + key_file + "\" " +
             (mismatch ? "does not match the certificate in \"" + cert_file + "\""
                       : "holds no usable unencrypted PEM private key") +
             " (" + openssl_reason() + ")";
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    *error = "server.tls.key_file: \"" + key_file + "\" does not match the certificate in \"" +
             cert_file + "\" (" + openssl_reason() + ")";
    return nullptr;
  }
  tls->subject_ = subject_of(ctx);
  tls->expires_epoch_ = not_after(ctx);
  tls->expires_ = iso_time(tls->expires_epoch_);
  error->clear();
  return tls;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

bool TlsContext::expired() const { return expires_epoch_ <= std::time(nullptr); }

std::unique_ptr<Transport> TlsContext::wrap(int fd) const {
  // OpenSSL writes each record with its own send(), and a record (16 KB at most) is below the
  // loopback MSS, so Nagle held every record after the first of a large answer until an ACK that
  // delayed ACK kept back: /history over TLS ran at a quarter of nginx's rate, p99 47 ms. nginx
  // sets TCP_NODELAY on its keep-alive connections too.
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::make_unique<TlsTransport>(ctx_, fd, refusal_);
}

TlsTransport::TlsTransport(ssl_ctx_st* ctx, int fd, std::shared_ptr<const std::string> refusal)
    : ctx_(ctx), refusal_(std::move(refusal)), fd_(fd) {
  SSL_CTX_up_ref(ctx);
}

TlsTransport::~TlsTransport() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
  ::close(fd_);
}

// Made when the client first sends a byte, as nginx does: a connection that never sends one
// costs no OpenSSL state (about 9 KB each, measured with 1,000 silent connections).
bool TlsTransport::ready() {
  if (ssl_ || broken_) return ssl_ != nullptr;
  ssl_ = SSL_new(ctx_);
  broken_ = ssl_ == nullptr;
  if (ssl_) {
    SSL_set_fd(ssl_, fd_);
    SSL_set_accept_state(ssl_);
  }
  return ssl_ != nullptr;
}

ssize_t TlsTransport::read(void* buffer, size_t size) {
  if (!ready()) {
    errno = ECONNRESET;
    return -1;
  }
  ERR_clear_error();
  size_t got = 0;
  const int ret = SSL_read_ex(ssl_, buffer, size, &got);
  if (ret == 1) {
    wants_ = 0;
    return static_cast<ssize_t>(got);
  }
  return failed(ret, true);
}

ssize_t TlsTransport::writev(const iovec* parts, int count, bool) {
  if (!ready()) {
    errno = EPIPE;
    return -1;
  }
  const void* data = parts[0].iov_base;
  size_t size = parts[0].iov_len;
  // Joined the same way on a retry (the same parts come back after EAGAIN), as OpenSSL requires.
  if (count > 1 && size < kJoinBytes) {
    scratch_.clear();
    for (int i = 0; i < count && scratch_.size() < kJoinBytes; ++i) {
      const size_t take = std::min(parts[i].iov_len, kJoinBytes - scratch_.size());
      scratch_.append(static_cast<const char*>(parts[i].iov_base), take);
    }
    data = scratch_.data();
    size = scratch_.size();
  }
  if (size == 0) return 0;
  ERR_clear_error();
  size_t written = 0;
  const int ret = SSL_write_ex(ssl_, data, std::min<size_t>(size, INT_MAX), &written);
  if (ret == 1) {
    wants_ = 0;
    return static_cast<ssize_t>(written);
  }
  return failed(ret, false);
}

ssize_t TlsTransport::failed(int ret, bool reading) {
  const int saved = errno;
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
      wants_ = kWantRead;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      wants_ = kWantWrite;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:  // close_notify (or EOF: SSL_OP_IGNORE_UNEXPECTED_EOF)
      if (reading) return 0;
      errno = EPIPE;
      return -1;
    case SSL_ERROR_SYSCALL:
      broken_ = true;
      ERR_clear_error();
      errno = saved != 0 && saved != EAGAIN ? saved : EPIPE;
      return -1;
    default: {
      broken_ = true;
      // nginx's courtesy: plain HTTP sent to the TLS port is told so instead of cut off.
      const bool http = ERR_GET_REASON(ERR_peek_error()) == SSL_R_HTTP_REQUEST;
      ERR_clear_error();
      if (reading && http) {
        [[maybe_unused]] const ssize_t n =
            ::send(fd_, refusal_->data(), refusal_->size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        // Drained, so that closing sends a FIN and not a reset that could discard the answer.
        ::shutdown(fd_, SHUT_WR);
        char sink[4096];
        while (::recv(fd_, sink, sizeof sink, MSG_DONTWAIT) > 0) {
        }
      }
      errno = EPROTO;
      return -1;
    }
  }
}

void TlsTransport::shutdown_write() {
  // close_notify only on a finished, healthy session: OpenSSL refuses it mid-handshake and after
  // a fatal error.
  if (ssl_ && !broken_ && SSL_is_init_finished(ssl_)) {
    ERR_clear_error();
    if (SSL_shutdown(ssl_) < 0) ERR_clear_error();
  }
  ::shutdown(fd_, SHUT_WR);
}

bool TlsTransport::has_buffered() const { return ssl_ && SSL_has_pending(ssl_) == 1; }

}  // namespace resync::server::detail

// SPDX-License-Identifier: MIT
#include "tls_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <stdexcept>

namespace resync::test {

Ran run(const std::string& command) {
  const std::string wrapped = "bash -c '" + [&] {
    std::string quoted;
    for (char c : command) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted;
  }() + "' </dev/null 2>&1";
  Ran ran;
  std::FILE* pipe = ::popen(wrapped.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run: " + command);
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) ran.output.append(buffer, n);
  const int status = ::pclose(pipe);
  if (WIFEXITED(status)) ran.status = WEXITSTATUS(status);
  return ran;
}

TestPki::TestPki() {
  const Ran ca = run("cd " + dir_.path() +
                     " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                     "-keyout ca.key -out ca.pem -days 2 -subj '/CN=resync-mon test CA'");
  if (ca.status != 0) throw std::runtime_error("openssl (CA): " + ca.output);
  issue("server", "localhost");
}

void TestPki::issue(const std::string& name, const std::string& cn) {
  write_file(dir_.file(name + ".ext"),
             "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
             "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n");
  const Ran made = run("cd " + dir_.path() + " && openssl req -newkey ec -pkeyopt " +
                       "ec_paramgen_curve:P-256 -nodes -keyout " + name + ".key -out " + name +
                       ".csr -subj '/CN=" + cn + "' && openssl x509 -req -in " + name +
                       ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out " + name +
                       ".pem -extfile " + name + ".ext");
  if (made.status != 0) throw std::runtime_error("openssl (" + name + "): " + made.output);
}

namespace {

int connect_loopback(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

std::string openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    text += std::string(text.empty() ? "" : "; ") + line;
  }
  return text;
}

}  // namespace

RawSocket::RawSocket(uint16_t port) : fd_(connect_loopback(port)) {}
RawSocket::~RawSocket() { ::close(fd_); }

bool RawSocket::send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool RawSocket::closed_within(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char sink[4096];
    const ssize_t n = ::recv(fd_, sink, sizeof sink, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
  }
}

struct TlsClient::Impl {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  ~Impl() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    if (fd >= 0) ::close(fd);
  }
};

TlsClient::TlsClient(uint16_t port, const std::string& ca_file) : impl_(new Impl) {
  try {
    impl_->fd = connect_loopback(port);
    impl_->ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(impl_->ctx, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(impl_->ctx, ca_file.c_str(), nullptr) != 1)
      throw std::runtime_error("cannot load " + ca_file + ": " + openssl_errors());
    static const unsigned char kAlpn[] = "\x02h2\x08http/1.1";
    SSL_CTX_set_alpn_protos(impl_->ctx, kAlpn, sizeof kAlpn - 1);
    impl_->ssl = SSL_new(impl_->ctx);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(impl_->ssl), "127.0.0.1");
    SSL_set_fd(impl_->ssl, impl_->fd);
    if (SSL_connect(impl_->ssl) != 1)
      throw std::runtime_error("TLS handshake failed: " + openssl_errors());
  } catch (...) {
    delete impl_;
    throw;
  }
}

TlsClient::~TlsClient() { delete impl_; }

void TlsClient::write(const std::string& bytes) {
  size_t written = 0;
  if (SSL_write_ex(impl_->ssl, bytes.data(), bytes.size(), &written) != 1)
    throw std::runtime_error("TLS write failed: " + openssl_errors());
}

bool TlsClient::read_some(std::string& into) {
  char buffer[16384];
  size_t got = 0;
  if (SSL_read_ex(impl_->ssl, buffer, sizeof buffer, &got) != 1) {
    ERR_clear_error();
    return false;
  }
  into.append(buffer, got);
  return true;
}

std::string TlsClient::peer_subject() const {
  X509* cert = SSL_get1_peer_certificate(impl_->ssl);
  char text[256] = "";
  if (cert) X509_NAME_oneline(X509_get_subject_name(cert), text, sizeof text);
  X509_free(cert);
  return text;
}

std::string TlsClient::alpn() const {
  const unsigned char* name = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(impl_->ssl, &name, &length);
  return std::string(reinterpret_cast<const char*>(name), name ? length : 0);
}

std::string client_hello() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);  // WANT_READ after writing the ClientHello into `out`
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  std::string hello(data, static_cast<size_t>(size));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return hello;
}

}  // namespace resync::test

// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace Poco {
class Exception;
namespace Net {
class HTTPClientSession;
}
}  // namespace Poco

namespace resync::server::detail {
class Transport;
}

namespace resync::tls {

/// Bumped whenever Module or ServerContext change: the host refuses a module built for another.
constexpr uint32_t kModuleVersion = 1;

/// A server certificate and key loaded for `server.tls`: TLS 1.2 minimum, ALPN http/1.1.
/// Immutable once loaded; a reload loads a new one, and a connection keeps the one it started with.
///
/// Thread-safe: every method, from any thread.
class ServerContext {
 public:
  virtual ~ServerContext() = default;
  /// A TLS transport over the accepted socket `fd`, which it then owns; the handshake runs in its
  /// first reads.
  virtual std::unique_ptr<server::detail::Transport> wrap(int fd) const = 0;
  /// The certificate's subject, for logs ("/CN=localhost").
  virtual const std::string& subject() const = 0;
  /// Its notAfter as ISO-8601 UTC ("2027-12-07T19:20:13Z"), and whether that has passed.
  virtual const std::string& expires() const = 0;
  virtual bool expired() const = 0;
};

/// What OpenSSL and Poco NetSSL do for resync-mon, kept in the private module resync-mon-tls.so so
/// that a process that never speaks TLS never maps them (each library costs its relocated pages
/// at start-up, about 3 MB of RSS in all). The host and the module are built together from one
/// tree by one compiler, so a C++ interface is safe here, unlike the plugin ABI.
///
/// Thread-safe: every method, from any thread.
class Module {
 public:
  /// Loads `cert_file` (PEM, the certificate first, then any chain) and `key_file` (PEM,
  /// unencrypted). Null with `*error` set ("server.tls.key_file: ... does not match ...") when a
  /// file is missing, unreadable, not PEM, or the key is not the certificate's. A client that
  /// sends plain HTTP is answered `plain_http_refusal` (a whole HTTP response) before closing.
  virtual std::shared_ptr<const ServerContext> load_server_context(
      const std::string& cert_file, const std::string& key_file,
      const std::string& plain_http_refusal, std::string* error) const = 0;
  /// An unconnected HTTPS client session to host:port that verifies the server with `ca_file`
  /// (empty: the system's CAs), or not at all when `insecure`. Throws Poco exceptions.
  virtual std::unique_ptr<Poco::Net::HTTPClientSession> https_session(const std::string& host,
                                                                      uint16_t port,
                                                                      const std::string& ca_file,
                                                                      bool insecure) const = 0;
  /// Whether `e` is a TLS failure (Poco::Net::SSLException and its kinds: a refused certificate,
  /// a failed handshake).
  virtual bool is_tls_error(const Poco::Exception& e) const = 0;

 protected:
  ~Module() = default;
};

/// The module could not be loaded: "TLS support not installed: <path>: <dlerror>".
class ModuleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The module, loaded on first use: linked into this executable (tests), else
/// resync-mon-tls.so beside the executable (the build tree), in ../lib/resync-mon/ beside it (an
/// installed tree), or in the configured install prefix. Never unloaded. Throws ModuleError;
/// a later call tries again.
///
/// Thread-safe: yes; concurrent first calls load it once.
const Module& module();

/// The module if module() has loaded it already, else null; never loads it.
const Module* loaded_module();

}  // namespace resync::tls

/// The module's one entry point: its Module for `host_version`, or null when it was built for
/// another kModuleVersion.
extern "C" const resync::tls::Module* resync_tls_module_v1(uint32_t host_version);

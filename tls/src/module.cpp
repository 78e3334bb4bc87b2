// SPDX-License-Identifier: MIT
// resync-mon-tls.so: the one entry point and its Module, over server/src/tls.cpp (server.tls) and
// http/src/https_netssl.cpp (https URLs).
#include "resync/tls/module.hpp"
#include "https.hpp"
#include "tls.hpp"

namespace resync::tls {
namespace {

class OpenSslModule final : public Module {
 public:
  std::shared_ptr<const ServerContext> load_server_context(const std::string& cert_file,
                                                           const std::string& key_file,
                                                           const std::string& plain_http_refusal,
                                                           std::string* error) const override {
    return server::detail::TlsContext::load(cert_file, key_file, plain_http_refusal, error);
  }

  std::unique_ptr<Poco::Net::HTTPClientSession> https_session(const std::string& host,
                                                              uint16_t port,
                                                              const std::string& ca_file,
                                                              bool insecure) const override {
    return http::netssl::https_session(host, port, ca_file, insecure);
  }

  bool is_tls_error(const Poco::Exception& e) const override {
    return http::netssl::is_tls_error(e);
  }
};

}  // namespace
}  // namespace resync::tls

extern "C" __attribute__((visibility("default"))) const resync::tls::Module* resync_tls_module_v1(
    uint32_t host_version) {
  static const resync::tls::OpenSslModule module;
  return host_version == resync::tls::kModuleVersion ? &module : nullptr;
}

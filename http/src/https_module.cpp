// SPDX-License-Identifier: MIT
#include "https.hpp"
#include "resync/http/client.hpp"
#include "resync/tls/module.hpp"

namespace resync::http::detail {

std::unique_ptr<Poco::Net::HTTPClientSession> https_session(const std::string& host, uint16_t port,
                                                            const std::string& ca_file,
                                                            bool insecure) {
  try {
    return tls::module().https_session(host, port, ca_file, insecure);
  } catch (const tls::ModuleError& e) {
    throw HttpError(HttpError::Kind::kTls, e.what());
  }
}

bool is_tls_error(const Poco::Exception& e) {
  // Not loaded: no session was ever TLS, so neither is this error.
  const tls::Module* module = tls::loaded_module();
  return module && module->is_tls_error(e);
}

}  // namespace resync::http::detail

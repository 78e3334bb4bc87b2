// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>

#include <cstdint>
#include <memory>
#include <string>

namespace resync::http {

namespace detail {
// What client.cpp asks of TLS, answered by the TLS module (https_module.cpp), loaded on the first
// https URL: a process that fetches none maps no NetSSL or OpenSSL.

/// As tls::Module::https_session(). Throws Poco exceptions, or HttpError (kTls) when the TLS
/// module cannot be loaded.
std::unique_ptr<Poco::Net::HTTPClientSession> https_session(const std::string& host, uint16_t port,
                                                            const std::string& ca_file,
                                                            bool insecure);
/// As tls::Module::is_tls_error(); never loads the module.
bool is_tls_error(const Poco::Exception& e);
}  // namespace detail

namespace netssl {
/// The same two with Poco NetSSL (https_netssl.cpp): the TLS module's side.
std::unique_ptr<Poco::Net::HTTPClientSession> https_session(const std::string& host, uint16_t port,
                                                            const std::string& ca_file,
                                                            bool insecure);
bool is_tls_error(const Poco::Exception& e);
}  // namespace netssl

}  // namespace resync::http

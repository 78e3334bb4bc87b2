// SPDX-License-Identifier: MIT
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>

#include <mutex>

#include "https.hpp"

namespace resync::http::netssl {

std::unique_ptr<Poco::Net::HTTPClientSession> https_session(const std::string& host, uint16_t port,
                                                            const std::string& ca_file,
                                                            bool insecure) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  Poco::Net::Context::Ptr context(new Poco::Net::Context(
      Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file,
      insecure ? Poco::Net::Context::VERIFY_NONE : Poco::Net::Context::VERIFY_RELAXED, 9,
      ca_file.empty(), "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH"));
  return std::make_unique<Poco::Net::HTTPSClientSession>(host, port, context);
}

bool is_tls_error(const Poco::Exception& e) {
  return dynamic_cast<const Poco::Net::SSLException*>(&e) != nullptr;
}

}  // namespace resync::http::netssl

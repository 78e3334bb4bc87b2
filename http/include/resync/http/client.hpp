// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

/// The HTTP(S) client of the plugins and of the host: one GET or POST with a deadline for the
/// whole request, TLS verification on by default, bounded bodies, and errors that never carry
/// credentials. Built on Poco; no other part of the project is needed to use it.
namespace resync::http {

/// How one HTTP(S) request is made.
struct HttpOptions {
  std::chrono::milliseconds timeout{2000};  ///< for the whole request, connect to last byte
  std::string bearer_token;                 ///< sent as "Authorization: Bearer ..." when set
  std::string basic_user;                   ///< Basic auth when set
  std::string basic_password;
  std::string ca_file;    ///< PEM bundle to verify the server with; "" = the system's CAs
  bool insecure = false;  ///< skip certificate verification (explicit opt-in only)
  size_t max_body_bytes = 16 * 1024 * 1024;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::string body;
  double elapsed_ms = 0;  ///< connect to last byte
};

/// A request that produced no HTTP response. `kind` lets collectors tell a timeout from a
/// refused connection; the message reads "GET <url>: <why>" (or "POST ...") and never contains
/// credentials.
class HttpError : public std::runtime_error {
 public:
  enum class Kind { kConnect, kTimeout, kTls, kProtocol, kTooLarge };
  HttpError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

/// GETs `url` (http or https). Returns any HTTP status, including 4xx and 5xx; throws HttpError
/// when there is no response within the timeout, and std::invalid_argument for a malformed URL.
/// Thread-safe: no shared state besides OpenSSL's one-time initialisation.
HttpResponse http_get(const std::string& url, const HttpOptions& options);

/// POSTs `body` with `content_type` (e.g. "application/json") to `url`, under the same deadline,
/// limits and errors as http_get(); the response body is read up to `max_body_bytes`.
/// Thread-safe.
HttpResponse http_post(const std::string& url, const std::string& body,
                       const std::string& content_type, const HttpOptions& options);

/// Checks `url` is an absolute http(s) URL; returns "" when it is, else what is wrong.
std::string check_url(const std::string& url);

/// `url` without its user info, for messages: credentials never reach a log line.
std::string display_url(const std::string& url);

}  // namespace resync::http

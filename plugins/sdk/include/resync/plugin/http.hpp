// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace resync::plugin {

/// How one HTTP(S) GET is made.
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
/// refused connection; the message reads "GET <url>: <why>" and never contains credentials.
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

/// Checks `url` is an absolute http(s) URL; returns "" when it is, else what is wrong.
std::string check_url(const std::string& url);

/// `url` without its user info, for messages: credentials never reach a log line.
std::string display_url(const std::string& url);

class Options;

/// Reads option `key` as a required http(s) URL; throws OptionError naming the key otherwise.
std::string require_url(Options& o, const std::string& key = "url");

/// Reads the TLS options every HTTPS collector shares into `http`: `ca_file` (must be readable)
/// and `insecure` (explicit opt-in, not together with ca_file). When verification is off, writes
/// one warning line naming the collector and `url` (shown without credentials).
void read_tls_options(Options& o, HttpOptions& http, const std::string& url);

/// Writes one warning line to stderr in the host's log format; for conditions worth a line
/// once (e.g. TLS verification switched off), never for per-sample noise.
void log_warning(const std::string& message);

}  // namespace resync::plugin

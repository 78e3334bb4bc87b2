// SPDX-License-Identifier: MIT
#include "resync/plugin/http.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <cstdio>
#include <ctime>
#include <istream>
#include <memory>
#include <mutex>

namespace resync::plugin {
namespace {

using Clock = std::chrono::steady_clock;

void initialize_ssl_once() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

Poco::Timespan to_timespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(std::max<long long>(ms.count(), 1)) * 1000);
}

// The URL as shown in messages: without user info, so credentials never reach a log line.
std::string display_url(const Poco::URI& uri) {
  Poco::URI shown(uri);
  shown.setUserInfo("");
  return shown.toString();
}

}  // namespace

std::string check_url(const std::string& url) {
  try {
    Poco::URI uri(url);
    if (uri.getScheme() != "http" && uri.getScheme() != "https") return "expected an http:// or https:// URL";
    if (uri.getHost().empty()) return "the URL has no host";
    return "";
  } catch (const Poco::Exception& e) {
    return "not a valid URL: " + e.displayText();
  }
}

HttpResponse http_get(const std::string& url, const HttpOptions& options) {
  const std::string problem = check_url(url);
  if (!problem.empty()) throw std::invalid_argument(url + ": " + problem);
  const Poco::URI uri(url);
  const std::string what = "GET " + display_url(uri);
  const auto started = Clock::now();
  const auto deadline = started + options.timeout;

  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (uri.getScheme() == "https") {
    initialize_ssl_once();
    Poco::Net::Context::Ptr context(new Poco::Net::Context(
        Poco::Net::Context::TLS_CLIENT_USE, "", "", options.ca_file,
        options.insecure ? Poco::Net::Context::VERIFY_NONE : Poco::Net::Context::VERIFY_RELAXED, 9,
        options.ca_file.empty(), "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH"));
    session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
  } else {
    session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
  }
  session->setTimeout(to_timespan(options.timeout));
  session->setKeepAlive(false);

  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, uri.getPathAndQuery(),
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("User-Agent", "resync-mon");
  request.set("Accept", "*/*");
  if (!options.bearer_token.empty()) request.set("Authorization", "Bearer " + options.bearer_token);
  if (!options.basic_user.empty()) {
    Poco::Net::HTTPBasicCredentials(options.basic_user, options.basic_password).authenticate(request);
  }
  for (const auto& [k, v] : options.headers) request.set(k, v);

  HttpResponse out;
  try {
    session->sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& body = session->receiveResponse(response);
    out.status = static_cast<int>(response.getStatus());
    out.reason = response.getReason();
    char buffer[16384];
    while (body) {
      // Poco's timeout is per socket operation; a server dripping bytes must still stop at
      // the deadline of the whole request.
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) throw HttpError(HttpError::Kind::kTimeout, what + ": timed out after " + std::to_string(options.timeout.count()) + " ms");
      session->socket().setReceiveTimeout(to_timespan(left));
      body.read(buffer, sizeof buffer);
      out.body.append(buffer, static_cast<size_t>(body.gcount()));
      if (out.body.size() > options.max_body_bytes) {
        throw HttpError(HttpError::Kind::kTooLarge, what + ": response larger than " + std::to_string(options.max_body_bytes) + " bytes");
      }
    }
  } catch (const HttpError&) {
    throw;
  } catch (const Poco::TimeoutException&) {
    throw HttpError(HttpError::Kind::kTimeout, what + ": timed out after " + std::to_string(options.timeout.count()) + " ms");
  } catch (const Poco::Net::SSLException& e) {
    throw HttpError(HttpError::Kind::kTls, what + ": TLS: " + e.displayText());
  } catch (const Poco::Net::ConnectionRefusedException&) {
    throw HttpError(HttpError::Kind::kConnect, what + ": connection refused");
  } catch (const Poco::Net::NetException& e) {
    throw HttpError(HttpError::Kind::kProtocol, what + ": " + e.displayText());
  } catch (const Poco::IOException& e) {
    throw HttpError(HttpError::Kind::kConnect, what + ": " + e.displayText());
  } catch (const Poco::Exception& e) {
    throw HttpError(HttpError::Kind::kProtocol, what + ": " + e.displayText());
  }
  out.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return out;
}

void log_warning(const std::string& message) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::fprintf(stderr, "%s warning %s\n", stamp, message.c_str());
}

}  // namespace resync::plugin

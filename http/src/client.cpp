// SPDX-License-Identifier: MIT
#include "resync/http/client.hpp"

#include <Poco/Buffer.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <istream>
#include <memory>
#include <ostream>

#include "https.hpp"

namespace resync::http {
namespace {

using Clock = std::chrono::steady_clock;

Poco::Timespan to_timespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(std::max<long long>(ms.count(), 1)) *
                        1000);
}

// Sets how long the next read may wait. Poco's TLS socket, when a read times out, polls once
// more for the same time before giving up, so a TLS read gets half of what is left: the two waits
// together end at the deadline.
void set_read_timeout(Poco::Net::HTTPClientSession& session, std::chrono::milliseconds left) {
  session.socket().setReceiveTimeout(to_timespan(session.secure() ? left / 2 : left));
}

// The URL as shown in messages: without user info, so credentials never reach a log line.
std::string display_url(const Poco::URI& uri) {
  Poco::URI shown(uri);
  shown.setUserInfo("");
  return shown.toString();
}

// Poco 1.11 ends a chunked body silently when the connection drops before the last chunk, which
// would hand a cut-off scrape to a parser as if it were whole. So chunked bodies are decoded
// here, strictly, from the bytes Poco has buffered after the header and then from the socket.
class ChunkedBodyReader {
 public:
  ChunkedBodyReader(Poco::Net::HTTPClientSession& session, Clock::time_point deadline,
                    const std::string& what, const HttpOptions& options)
      : session_(session), deadline_(deadline), what_(what), options_(options) {
    Poco::Buffer<char> buffered(0);
    session_.drainBuffer(buffered);
    pending_.assign(buffered.begin(), buffered.size());
  }

  void read(std::string& body) {
    for (;;) {
      const std::string size_line = line();
      size_t size = 0;
      size_t digits = 0;
      for (char c : size_line) {
        const int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                      : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                      : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                                  : -1;
        if (v < 0) break;
        if (++digits > 15)
          throw HttpError(HttpError::Kind::kProtocol, what_ + ": chunk size too large");
        size = size * 16 + static_cast<size_t>(v);
      }
      if (digits == 0)
        throw HttpError(HttpError::Kind::kProtocol, what_ + ": invalid chunk size line");
      if (size == 0) break;
      if (body.size() + size > options_.max_body_bytes) {
        throw HttpError(
            HttpError::Kind::kTooLarge,
            what_ + ": response larger than " + std::to_string(options_.max_body_bytes) + " bytes");
      }
      while (size > 0) {
        if (at_ == pending_.size()) refill();
        const size_t n = std::min(size, pending_.size() - at_);
        body.append(pending_, at_, n);
        at_ += n;
        size -= n;
      }
      if (!line().empty())
        throw HttpError(HttpError::Kind::kProtocol, what_ + ": chunk not followed by CRLF");
    }
    for (std::string trailer = line(); !trailer.empty(); trailer = line()) {
    }
  }

 private:
  void refill() {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left.count() <= 0)
      throw HttpError(
          HttpError::Kind::kTimeout,
          what_ + ": timed out after " + std::to_string(options_.timeout.count()) + " ms");
    set_read_timeout(session_, left);
    char buffer[16384];
    const int n = session_.socket().receiveBytes(buffer, sizeof buffer);
    if (n <= 0)
      throw HttpError(HttpError::Kind::kProtocol,
                      what_ + ": connection closed before the end of the chunked body");
    pending_.erase(0, at_);
    at_ = 0;
    pending_.append(buffer, static_cast<size_t>(n));
  }

  std::string line() {
    std::string text;
    for (;;) {
      if (at_ == pending_.size()) refill();
      const char c = pending_[at_++];
      if (c == '\n') break;
      if (text.size() > 4096)
        throw HttpError(HttpError::Kind::kProtocol, what_ + ": chunk header line too long");
      text += c;
    }
    if (!text.empty() && text.back() == '\r') text.pop_back();
    return text;
  }

  Poco::Net::HTTPClientSession& session_;
  Clock::time_point deadline_;
  const std::string& what_;
  const HttpOptions& options_;
  std::string pending_;
  size_t at_ = 0;
};

}  // namespace

std::string check_url(const std::string& url) {
  try {
    Poco::URI uri(url);
    if (uri.getScheme() != "http" && uri.getScheme() != "https")
      return "expected an http:// or https:// URL";
    if (uri.getHost().empty()) return "the URL has no host";
    return "";
  } catch (const Poco::Exception& e) {
    return "not a valid URL: " + e.displayText();
  }
}

std::string display_url(const std::string& url) {
  try {
    return display_url(Poco::URI(url));
  } catch (const Poco::Exception&) {
    return "(invalid URL)";
  }
}

namespace {

HttpResponse request(const std::string& method, const std::string& url, const std::string* body,
                     const std::string& content_type, const HttpOptions& options) {
  const std::string problem = check_url(url);
  if (!problem.empty()) throw std::invalid_argument(url + ": " + problem);
  const Poco::URI uri(url);
  const std::string what = method + " " + display_url(uri);
  const auto started = Clock::now();
  const auto deadline = started + options.timeout;

  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (uri.getScheme() == "https") {
    try {
      session =
          detail::https_session(uri.getHost(), uri.getPort(), options.ca_file, options.insecure);
    } catch (const HttpError& e) {
      throw HttpError(e.kind(), what + ": " + e.what());
    }
  } else {
    session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
  }
  // Poco 1.11 runs the TLS handshake under the connect timeout and, against a server that never
  // answers it, gives up only after about three times that (measured; see set_read_timeout for
  // why): a third of the budget for connecting keeps connect plus handshake within the deadline.
  const auto connect_timeout = uri.getScheme() == "https" ? options.timeout / 3 : options.timeout;
  session->setTimeout(to_timespan(connect_timeout), to_timespan(options.timeout),
                      to_timespan(options.timeout));
  session->setKeepAlive(false);

  const std::string path = uri.getPathAndQuery().empty() ? "/" : uri.getPathAndQuery();
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("User-Agent", "resync-mon");
  request.set("Accept", "*/*");
  if (!options.bearer_token.empty()) request.set("Authorization", "Bearer " + options.bearer_token);
  if (!options.basic_user.empty()) {
    Poco::Net::HTTPBasicCredentials(options.basic_user, options.basic_password)
        .authenticate(request);
  }
  if (body) {
    request.setContentType(content_type);
    request.setContentLength64(static_cast<Poco::Int64>(body->size()));
  }
  for (const auto& [k, v] : options.headers) request.set(k, v);

  HttpResponse out;
  try {
    std::ostream& request_body = session->sendRequest(request);
    if (body) {
      // Poco's socket stream reports a send timeout by throwing through the stream, which would
      // swallow it into badbit: let it reach the handlers below.
      request_body.exceptions(std::ios::badbit);
      // Poco's send timeout is per socket write: a peer reading a little now and then would
      // stretch the request past its deadline, so each chunk gets only what is left.
      constexpr size_t kChunk = 16384;
      for (size_t at = 0; at < body->size(); at += kChunk) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
          throw HttpError(
              HttpError::Kind::kTimeout,
              what + ": timed out after " + std::to_string(options.timeout.count()) + " ms");
        session->socket().setSendTimeout(to_timespan(left));
        request_body.write(body->data() + at,
                           static_cast<std::streamsize>(std::min(kChunk, body->size() - at)));
      }
      request_body.flush();
    }
    // Connecting and sending each had the whole timeout; waiting for the status line gets only
    // what is left, so a server that is slow at every step still ends at the deadline.
    const auto left_for_response =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left_for_response.count() <= 0)
      throw HttpError(
          HttpError::Kind::kTimeout,
          what + ": timed out after " + std::to_string(options.timeout.count()) + " ms");
    set_read_timeout(*session, left_for_response);
    Poco::Net::HTTPResponse response;
    std::istream& body = session->receiveResponse(response);
    out.status = static_cast<int>(response.getStatus());
    out.reason = response.getReason();
    if (response.getChunkedTransferEncoding()) {
      ChunkedBodyReader(*session, deadline, what, options).read(out.body);
    }
    // Poco's stream buffers report a timeout or reset by throwing, which std::istream would
    // swallow into badbit (and the body would look complete): let it reach the handlers below.
    body.exceptions(std::ios::badbit);
    char buffer[16384];
    while (!response.getChunkedTransferEncoding()) {
      // Poco's timeout is per socket operation; a server dripping bytes must still stop at
      // the deadline of the whole request, so each turn makes at most one socket read: peek()
      // refills the stream's buffer once, readsome() takes what that brought.
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0)
        throw HttpError(
            HttpError::Kind::kTimeout,
            what + ": timed out after " + std::to_string(options.timeout.count()) + " ms");
      set_read_timeout(*session, left);
      if (body.peek() == std::char_traits<char>::eof()) break;
      out.body.append(buffer, static_cast<size_t>(body.readsome(buffer, sizeof buffer)));
      if (out.body.size() > options.max_body_bytes) {
        throw HttpError(
            HttpError::Kind::kTooLarge,
            what + ": response larger than " + std::to_string(options.max_body_bytes) + " bytes");
      }
    }
    // Poco ends a fixed-length body silently at EOF too: a short body is a dropped connection.
    if (response.hasContentLength() &&
        static_cast<Poco::UInt64>(out.body.size()) <
            static_cast<Poco::UInt64>(response.getContentLength64())) {
      throw HttpError(HttpError::Kind::kProtocol,
                      what + ": connection closed after " + std::to_string(out.body.size()) +
                          " of " + std::to_string(response.getContentLength64()) + " bytes");
    }
  } catch (const HttpError&) {
    throw;
  } catch (const Poco::TimeoutException&) {
    throw HttpError(HttpError::Kind::kTimeout,
                    what + ": timed out after " + std::to_string(options.timeout.count()) + " ms");
  } catch (const Poco::Net::ConnectionRefusedException&) {
    throw HttpError(HttpError::Kind::kConnect, what + ": connection refused");
  } catch (const Poco::Net::NetException& e) {
    // NetSSL's SSLException is a NetException; asked of NetSSL, which the host may not have loaded.
    if (detail::is_tls_error(e))
      throw HttpError(HttpError::Kind::kTls, what + ": TLS: " + e.displayText());
    throw HttpError(HttpError::Kind::kProtocol, what + ": " + e.displayText());
  } catch (const Poco::IOException& e) {
    // Poco 1.11 turns a receive timeout into TimeoutException but reports a send timeout
    // (SO_SNDTIMEO) as the socket's EAGAIN: a peer that stopped reading our body.
    if (e.code() == EAGAIN || e.code() == EWOULDBLOCK) {
      throw HttpError(
          HttpError::Kind::kTimeout,
          what + ": timed out after " + std::to_string(options.timeout.count()) + " ms");
    }
    throw HttpError(HttpError::Kind::kConnect, what + ": " + e.displayText());
  } catch (const Poco::Exception& e) {
    throw HttpError(HttpError::Kind::kProtocol, what + ": " + e.displayText());
  }
  out.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return out;
}

}  // namespace

HttpResponse http_get(const std::string& url, const HttpOptions& options) {
  return request(Poco::Net::HTTPRequest::HTTP_GET, url, nullptr, "", options);
}

HttpResponse http_post(const std::string& url, const std::string& body,
                       const std::string& content_type, const HttpOptions& options) {
  return request(Poco::Net::HTTPRequest::HTTP_POST, url, &body, content_type, options);
}

}  // namespace resync::http

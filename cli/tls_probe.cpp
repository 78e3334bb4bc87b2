// SPDX-License-Identifier: MIT
#include "tls_probe.hpp"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>

#include <algorithm>

#include "exit_codes.hpp"
#include "resync/http/client.hpp"

namespace resync::cli {

// A TLS ClientHello sent to a plain-HTTP server gets no answer: the server waits for the end of
// a request line that never comes, and the client waits for its whole timeout. A plain request
// gets an HTTP status line from such a server at once, and a TLS alert (or a closed connection)
// from a TLS one, so one round trip tells them apart.
void refuse_plain_http(const std::string& url, std::chrono::milliseconds budget) {
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception&) {
    return;  // the request itself reports a malformed URL
  }
  if (uri.getScheme() != "https" || uri.getHost().empty()) return;
  const auto wait =
      std::clamp(budget / 4, std::chrono::milliseconds{50}, std::chrono::milliseconds{1000});
  const Poco::Timespan span(static_cast<Poco::Timespan::TimeDiff>(wait.count()) * 1000);
  std::string head(5, '\0');
  int got = 0;
  try {
    Poco::Net::StreamSocket socket;
    socket.connect(Poco::Net::SocketAddress(uri.getHost(), uri.getPort()), span);
    socket.setReceiveTimeout(span);
    socket.setSendTimeout(span);
    const std::string request = "HEAD / HTTP/1.0\r\nHost: " + uri.getHost() + "\r\n\r\n";
    socket.sendBytes(request.data(), static_cast<int>(request.size()));
    while (got < 5) {
      const int n = socket.receiveBytes(head.data() + got, 5 - got);
      if (n <= 0) break;
      got += n;
    }
  } catch (const Poco::Exception&) {
    return;  // refused, slow, reset: the real request says what is wrong
  }
  if (got == 5 && head == "HTTP/") {
    throw SourceError(http::display_url(url) +
                          ": the server speaks plain HTTP, not TLS; use http:// instead of "
                          "https://",
                      kExitSourceUnusable);
  }
}

}  // namespace resync::cli

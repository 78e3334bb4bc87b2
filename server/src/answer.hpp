// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace resync::server::detail {

/// One HTTP answer as the connection loop writes it: a head it formats and either a body it owns
/// or bytes shared with every other answer of the same document (a Document's ready header
/// fields and body), kept alive by `keep` until written.
struct Answer {
  int status = 200;
  /// Header fields after the status line, Date and Connection, each "Name: value\r\n".
  std::string fields;
  /// The body of an answer that has no `shared` bytes; Content-Length is added for it.
  std::string body;
  /// Header fields, blank line and body, preformatted; when set, `body` is unused and nothing is
  /// added after `fields`.
  std::string_view shared;
  std::shared_ptr<const void> keep;  ///< owner of `shared` and `file`
  /// After `shared`: `file_size` bytes of this file (a Document's memfd), sent with sendfile(2).
  int file = -1;
  size_t file_size = 0;
  bool head_only = false;  ///< HEAD: headers only (Content-Length still of the body)
  bool close = false;      ///< the connection closes once this is written
  bool upgrade = false;    ///< 101: the connection becomes a WebSocket once written

  /// A body of `content_type` with Cache-Control `cache_control` and X-Content-Type-Options.
  void set_body(int status, std::string_view content_type, std::string_view cache_control,
                std::string bytes);
  /// A JSON error answer: {"error": message, "status": status}, Cache-Control: no-store.
  void set_error(int status, std::string_view message);
};

/// Appends to `out` the status line, Date, Connection and `a.fields` (plus Content-Length and the
/// blank line unless `a.shared` carries them), ready for the wire.
void format_head(const Answer& a, bool keep_alive, std::string& out);
/// What follows format_head(): the shared bytes, or the owned body (nothing for HEAD).
std::string_view answer_tail(const Answer& a);

/// The reason phrase of `status` ("Not Found").
const char* reason_phrase(int status);
/// Now as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), formatted once a second per thread.
const std::string& http_date_now();

}  // namespace resync::server::detail

// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace resync::server::detail {

/// Bounds on a request head, checked before the Router sees it.
struct HeadLimits {
  size_t max_head_bytes = 16384 + 4096 + 64;  ///< request line + header fields + terminator
  size_t max_target_bytes = 4096;             ///< request target (URI)
  size_t max_fields = 100;                    ///< Poco refuses more
  size_t max_name_bytes = 256;                ///< Poco refuses longer names
  size_t max_value_bytes = 8192;              ///< and longer values
};

/// The parts of a request head the connection loop needs; views into the scanned buffer.
struct RequestHead {
  std::string_view method, target, version;
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  size_t length = 0;  ///< bytes of the head, the blank line included

  /// The first field named `name` (case-insensitive), or "".
  std::string_view get(std::string_view name) const;
  /// Whether the connection stays open after the answer (HTTP/1.1 unless "close"; HTTP/1.0 only
  /// with "keep-alive").
  bool keep_alive() const;
};

/// One complete request as the connection loop read it: its head, the path and query of its
/// target, and whether the connection stays open after the answer. Views into the connection's
/// buffer, which holds still until the answer is written.
struct Request {
  RequestHead head;
  std::string_view path, query;  ///< the target split at its first '?'
  bool keep_alive = true;

  std::string_view get(std::string_view name) const { return head.get(name); }
  bool is_head() const { return head.method == "HEAD"; }
  bool is_get() const { return head.method == "GET" || is_head(); }
  /// Sets path, query and keep_alive from `head`.
  void derive();
};

/// Whether the comma-separated header value `list` holds `token` (case-insensitive), as in
/// "Connection: keep-alive, Upgrade".
bool has_token(std::string_view list, std::string_view token);

enum class HeadStatus {
  kIncomplete,  ///< no blank line yet, and within the limits so far
  kComplete,
  kMalformed,      ///< 400: the request line or a field line is not HTTP/1.x
  kTooLarge,       ///< 431: a limit of HeadLimits is exceeded
  kTargetTooLong,  ///< 414: the request target is longer than max_target_bytes
};

/// Scans `buffer` (bytes received so far on a connection) for a complete request head (lines end
/// in CRLF or LF) and checks it against `limits`; `why` gets the message of a refusal. Reads only
/// `buffer`, never more than max_head_bytes of it, and does not allocate beyond `out.fields`.
HeadStatus parse_request_head(std::string_view buffer, const HeadLimits& limits, RequestHead& out,
                              std::string* why);

}  // namespace resync::server::detail

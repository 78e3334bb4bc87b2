// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "answer.hpp"

namespace resync::server::detail {

/// Whether an Accept-Encoding header value admits gzip ("gzip", "x-gzip" or "*", q > 0).
bool accepts_gzip(std::string_view accept_encoding);
/// Whether an If-None-Match header value ("*" or a list of entity tags, weak ones included,
/// as RFC 9110 13.1.2 compares them) names `etag` (quotes included).
bool etag_matches(std::string_view if_none_match, std::string_view etag);
/// `body` gzip-compressed (RFC 1952), at zlib's default level.
std::string gzip(std::string_view body);

/// One rendered document, stored as it goes on the wire so a request adds only the status line,
/// Date and Connection and costs one writev of two parts, the second shared by every request (plus
/// a sendfile(2) of a memfd for large shared bodies, as nginx sends a static file). Every answer
/// carries a strong ETag (a hash of the bytes) and Vary: Accept-Encoding; the gzip variant is
/// compressed on the first request that accepts it, once, and kept beside the plain bytes.
///
/// Thread-safe: immutable once built, except the gzip variant, which is built under a once-flag.
class Document {
 public:
  /// A 200 answer of `content_type` carrying `body`, for the sample `generation`. `shared`: many
  /// requests will serve it, so large bodies also go into a memfd for sendfile(2).
  Document(std::string_view content_type, std::string body, uint64_t generation, bool shared);
  ~Document();
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  std::string_view body() const;
  uint64_t generation() const { return generation_; }
  /// The plain bytes' strong ETag, quotes included; the gzip variant's adds "-gzip" inside them.
  const std::string& etag() const { return plain_.etag; }
  /// The gzip-compressed body, compressed on first use.
  std::string_view gzip_body() const;
  /// Whether answer() with these header values would compress the body now (the first answer in
  /// gzip that is not a 304). The router sends that work to the render pool for a large body: a
  /// 100 KB /history takes milliseconds to compress, which no other connection of the loop
  /// should wait for.
  bool would_compress(std::string_view accept_encoding, std::string_view if_none_match) const;

  bool shared() const { return shared_; }

  /// The answer to a request for `self`: 304 with no body when `if_none_match` (the header's
  /// value) names the chosen variant, else 200 (header fields only when `head_only`), gzip when
  /// `accept_encoding` allows. The answer shares the document's bytes and keeps `self` alive.
  static void answer(const std::shared_ptr<const Document>& self, std::string_view accept_encoding,
                     std::string_view if_none_match, bool head_only, Answer& out);

 private:
  /// One encoding of the body, ready to send.
  struct Variant {
    Variant(std::string_view content_type, std::string_view encoding, std::string_view body,
            std::string etag, bool shared);
    ~Variant();
    Variant(const Variant&) = delete;
    Variant& operator=(const Variant&) = delete;
    std::string_view body() const { return std::string_view(wire).substr(head_size); }

    std::string etag;
    std::string wire;  // 200 header fields, blank line, body
    size_t head_size = 0;
    int fd = -1;  // memfd holding the body, or -1
  };
  const Variant& gzip_variant() const;

  const std::string content_type_;
  const uint64_t generation_;
  const bool shared_;
  const Variant plain_;
  mutable std::once_flag gzip_once_;
  mutable std::atomic<bool> gzip_built_{false};
  mutable std::unique_ptr<const Variant> gzip_;
};

}  // namespace resync::server::detail

// SPDX-License-Identifier: MIT
#include "document.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <Poco/DeflatingStream.h>

#include <cstdio>
#include <functional>
#include <sstream>

#include "http_text.hpp"

namespace resync::server::detail {
namespace {

// Calls `f` with each trimmed element of a comma-separated header value until it returns true.
template <class F>
bool any_element(std::string_view list, F f) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (f(trim(list.substr(0, comma)))) return true;
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return false;
}

// "q=0", "q=0.0", "q=0.000" refuse a coding; any other weight (or none) accepts it.
bool refused_by_weight(std::string_view params) {
  while (!params.empty()) {
    const size_t semi = params.find(';');
    const std::string_view p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
    const std::string_view value = trim(p.substr(2));
    return !value.empty() && value.find_first_not_of("0.") == std::string_view::npos;
  }
  return false;
}

// Bodies this large, when shared by many requests, also live in a memfd and go out with
// sendfile(2), as nginx sends a static file: one copy less per request, which is what large
// bodies cost.
constexpr size_t kSendfileMinBytes = 16 * 1024;

int to_memfd(std::string_view body) {
  int fd = memfd_create("resync-document", MFD_CLOEXEC);
  for (size_t done = 0; fd >= 0 && done < body.size();) {
    const ssize_t n = write(fd, body.data() + done, body.size() - done);
    if (n <= 0) {
      close(fd);
      fd = -1;  // served from memory instead
    } else {
      done += static_cast<size_t>(n);
    }
  }
  return fd;
}

// The header fields a 200 and a 304 share: RFC 9110 15.4.5 wants ETag, Cache-Control and Vary
// on a 304 as on the 200 it stands for. no-cache rather than no-store, so browsers keep the body
// and revalidate it with If-None-Match.
std::string common_fields(std::string_view etag) {
  std::string out = "ETag: ";
  out.append(etag);
  out.append(
      "\r\nCache-Control: no-cache\r\nVary: Accept-Encoding\r\nX-Content-Type-Options: "
      "nosniff\r\n");
  return out;
}

std::string hash_etag(std::string_view body) {
  char tag[48];
  std::snprintf(tag, sizeof tag, "\"%016zx-%zx\"", std::hash<std::string_view>{}(body),
                body.size());
  return tag;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  bool gzip_named = false, gzip_ok = false, star_ok = false;
  any_element(accept_encoding, [&](std::string_view element) {
    const size_t semi = element.find(';');
    const std::string_view coding = trim(element.substr(0, semi));
    const bool ok = semi == std::string_view::npos || !refused_by_weight(element.substr(semi + 1));
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) {
      gzip_named = true;
      gzip_ok = gzip_ok || ok;
    } else if (coding == "*") {
      star_ok = ok;
    }
    return false;
  });
  return gzip_named ? gzip_ok : star_ok;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (trim(if_none_match) == "*") return true;
  return any_element(if_none_match, [&](std::string_view tag) {
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    return tag == etag;
  });
}

std::string gzip(std::string_view body) {
  std::ostringstream out;
  Poco::DeflatingOutputStream deflater(out, Poco::DeflatingStreamBuf::STREAM_GZIP);
  deflater.write(body.data(), static_cast<std::streamsize>(body.size()));
  deflater.close();
  return out.str();
}

Document::Variant::Variant(std::string_view content_type, std::string_view encoding,
                           std::string_view body, std::string tag, bool shared)
    : etag(std::move(tag)) {
  wire.reserve(body.size() + 256);
  wire.append("Content-Type: ").append(content_type).append("\r\n");
  if (!encoding.empty()) wire.append("Content-Encoding: ").append(encoding).append("\r\n");
  wire.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  wire.append(common_fields(etag)).append("\r\n");
  head_size = wire.size();
  wire.append(body);
  if (shared && body.size() >= kSendfileMinBytes) fd = to_memfd(body);
}

Document::Variant::~Variant() {
  if (fd >= 0) close(fd);
}

Document::Document(std::string_view content_type, std::string body, uint64_t generation,
                   bool shared)
    : content_type_(content_type),
      generation_(generation),
      shared_(shared),
      plain_(content_type, "", body, hash_etag(body), shared) {}

Document::~Document() = default;

std::string_view Document::body() const { return plain_.body(); }

std::string_view Document::gzip_body() const { return gzip_variant().body(); }

const Document::Variant& Document::gzip_variant() const {
  std::call_once(gzip_once_, [this] {
    std::string tag = plain_.etag;
    tag.insert(tag.size() - 1, "-gzip");
    gzip_ = std::make_unique<const Variant>(content_type_, "gzip", gzip(plain_.body()),
                                            std::move(tag), shared_);
    gzip_built_ = true;
  });
  return *gzip_;
}

bool Document::would_compress(std::string_view accept_encoding,
                              std::string_view if_none_match) const {
  if (gzip_built_ || !accepts_gzip(accept_encoding)) return false;
  if (if_none_match.empty()) return true;
  std::string tag = plain_.etag;
  tag.insert(tag.size() - 1, "-gzip");
  return !etag_matches(if_none_match, tag);
}

void Document::answer(const std::shared_ptr<const Document>& self, std::string_view accept_encoding,
                      std::string_view if_none_match, bool head_only, Answer& out) {
  const bool compress = accepts_gzip(accept_encoding);
  if (!if_none_match.empty()) {
    // The gzip ETag is known without compressing, so a revalidation never compresses.
    std::string tag = self->plain_.etag;
    if (compress) tag.insert(tag.size() - 1, "-gzip");
    if (etag_matches(if_none_match, tag)) {
      out.status = 304;
      out.fields.append(common_fields(tag));
      return;
    }
  }
  const Variant& v = compress ? self->gzip_variant() : self->plain_;
  out.status = 200;
  out.keep = self;
  if (v.fd >= 0 && !head_only) {
    out.shared = std::string_view(v.wire).substr(0, v.head_size);
    out.file = v.fd;
    out.file_size = v.wire.size() - v.head_size;
    return;
  }
  out.shared = std::string_view(v.wire).substr(0, head_only ? v.head_size : std::string::npos);
}

}  // namespace resync::server::detail

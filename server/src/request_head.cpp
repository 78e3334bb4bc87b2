// SPDX-License-Identifier: MIT
#include "request_head.hpp"

#include <algorithm>

#include "http_text.hpp"

namespace resync::server::detail {
namespace {

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

// One line without its terminator; `rest` moves past it. False when no line end is in `rest`.
bool next_line(std::string_view& rest, std::string_view& line) {
  const size_t lf = rest.find('\n');
  if (lf == std::string_view::npos) return false;
  line = rest.substr(0, lf);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  rest.remove_prefix(lf + 1);
  return true;
}

bool parse_request_line(std::string_view line, RequestHead& out) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return false;
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  out.version = line.substr(sp2 + 1);
  const bool controls = std::any_of(out.target.begin(), out.target.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
  });
  return is_token(out.method) && out.method.size() <= 32 && !out.target.empty() && !controls &&
         (out.version == "HTTP/1.1" || out.version == "HTTP/1.0");
}

}  // namespace

std::string_view RequestHead::get(std::string_view name) const {
  for (const auto& [n, v] : fields)
    if (iequals(n, name)) return v;
  return {};
}

bool RequestHead::keep_alive() const {
  const std::string_view connection = get("Connection");
  // Comma-separated tokens; only close and keep-alive matter here.
  bool close = false, keep = false;
  size_t start = 0;
  while (start <= connection.size()) {
    const size_t comma = std::min(connection.find(',', start), connection.size());
    const std::string_view token = trim(connection.substr(start, comma - start));
    close = close || iequals(token, "close");
    keep = keep || iequals(token, "keep-alive");
    start = comma + 1;
  }
  return version == "HTTP/1.1" ? !close : keep && !close;
}

void Request::derive() {
  const size_t question = head.target.find('?');
  path = head.target.substr(0, question);
  query =
      question == std::string_view::npos ? std::string_view() : head.target.substr(question + 1);
  keep_alive = head.keep_alive();
}

bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return false;
}

HeadStatus parse_request_head(std::string_view buffer, const HeadLimits& limits, RequestHead& out,
                              std::string* why) {
  const auto refuse = [why](HeadStatus status, std::string message) {
    if (why) *why = std::move(message);
    return status;
  };
  // Robustness (RFC 9112 2.2): empty lines before the request line are skipped.
  size_t skipped = 0;
  while (skipped < buffer.size() && (buffer[skipped] == '\r' || buffer[skipped] == '\n')) ++skipped;
  if (skipped > 8) return refuse(HeadStatus::kMalformed, "malformed request line");
  std::string_view rest = buffer.substr(skipped, limits.max_head_bytes + 1);
  const size_t available = rest.size();
  std::string_view line;
  if (!next_line(rest, line)) {
    return available > limits.max_head_bytes
               ? refuse(HeadStatus::kTooLarge, "request line longer than " +
                                                   std::to_string(limits.max_head_bytes) + " bytes")
               : HeadStatus::kIncomplete;
  }
  // Cleared, not reassigned: the loop reuses one head per connection, and its field vector's
  // capacity with it.
  out.fields.clear();
  out.length = 0;
  if (!parse_request_line(line, out))
    return refuse(HeadStatus::kMalformed, "malformed request line");
  if (out.target.size() > limits.max_target_bytes) {
    return refuse(
        HeadStatus::kTargetTooLong,
        "request target longer than " + std::to_string(limits.max_target_bytes) + " bytes");
  }
  while (next_line(rest, line)) {
    if (line.empty()) {
      out.length = skipped + (available - rest.size());
      return HeadStatus::kComplete;
    }
    if (out.fields.size() >= limits.max_fields) {
      return refuse(HeadStatus::kTooLarge,
                    "more than " + std::to_string(limits.max_fields) + " header fields");
    }
    const size_t colon = line.find(':');
    // Obsolete line folding (a line starting with a space) is refused as RFC 9112 allows.
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
      return refuse(HeadStatus::kMalformed, "malformed header field line");
    const std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
    if (name.size() > limits.max_name_bytes || value.size() > limits.max_value_bytes) {
      return refuse(HeadStatus::kTooLarge, "header field " + std::string(name.substr(0, 64)) +
                                               " longer than " +
                                               std::to_string(limits.max_value_bytes) + " bytes");
    }
    out.fields.emplace_back(name, value);
  }
  if (available > limits.max_head_bytes) {
    return refuse(HeadStatus::kTooLarge, "request header fields larger than " +
                                             std::to_string(limits.max_head_bytes) + " bytes");
  }
  return HeadStatus::kIncomplete;
}

}  // namespace resync::server::detail

// SPDX-License-Identifier: MIT
#include "answer.hpp"

#include <cstdio>
#include <ctime>

#include "resync/json_writer.hpp"

namespace resync::server::detail {

void Answer::set_body(int code, std::string_view content_type, std::string_view cache_control,
                      std::string bytes) {
  status = code;
  fields.append("Content-Type: ").append(content_type);
  fields.append("\r\nCache-Control: ").append(cache_control);
  fields.append("\r\nX-Content-Type-Options: nosniff\r\n");
  body = std::move(bytes);
}

void Answer::set_error(int code, std::string_view message) {
  std::string json;
  JsonWriter w(json);
  w.begin_object().field("error", message).field("status", code).end_object();
  set_body(code, "application/json", "no-store", std::move(json));
}

void format_head(const Answer& a, bool keep_alive, std::string& out) {
  out.append("HTTP/1.1 ").append(std::to_string(a.status)).append(" ");
  out.append(reason_phrase(a.status)).append("\r\nDate: ").append(http_date_now());
  // A 101 names its own Connection (Upgrade) among its fields.
  if (!a.upgrade) out.append(keep_alive ? "\r\nConnection: Keep-Alive" : "\r\nConnection: close");
  out.append("\r\n").append(a.fields);
  if (!a.shared.empty()) return;
  // RFC 9110 8.6: no Content-Length on 1xx, 204 and 304.
  if (a.status >= 200 && a.status != 204 && a.status != 304)
    out.append("Content-Length: ").append(std::to_string(a.body.size())).append("\r\n");
  out.append("\r\n");
}

std::string_view answer_tail(const Answer& a) {
  if (!a.shared.empty()) return a.shared;
  return a.head_only ? std::string_view() : std::string_view(a.body);
}

const char* reason_phrase(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    default:
      return "Service Unavailable";
  }
}

const std::string& http_date_now() {
  thread_local std::time_t formatted_at = 0;
  thread_local std::string text;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buffer[64];
    // The C locale's names are the IMF-fixdate's; strftime would consult the global locale.
    static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                  tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    text = buffer;
    formatted_at = now;
  }
  return text;
}

}  // namespace resync::server::detail

// SPDX-License-Identifier: MIT
#include "raw_response.hpp"

#include "answer.hpp"
#include "resync/json_writer.hpp"

namespace resync::server::detail {

std::string json_response(int status, std::string_view body, bool keep_alive, bool head_only) {
  std::string out =
      "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) +
      "\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
      "X-Content-Type-Options: nosniff\r\nContent-Length: " +
      std::to_string(body.size()) +
      (keep_alive ? "\r\nConnection: Keep-Alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
  if (!head_only) out += body;
  return out;
}

std::string error_response(int status, std::string_view message, bool keep_alive) {
  std::string body;
  JsonWriter w(body);
  w.begin_object().field("error", message).field("status", status).end_object();
  return json_response(status, body, keep_alive, false);
}

}  // namespace resync::server::detail

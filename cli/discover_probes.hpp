// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

/// One probe per kind of target, each bounded by `deadline` and never throwing. Loopback only.
namespace resync::cli::probe {

using Deadline = std::chrono::steady_clock::time_point;

enum class RedisAnswer { kNone, kOpen, kNeedsPassword };
/// PING on 127.0.0.1:port: +PONG is an open Redis, -NOAUTH one that needs a password.
RedisAnswer redis(uint16_t port, Deadline deadline);

struct PrometheusAnswer {
  bool requests = false;   ///< http_requests_total (or http_requests) is exposed
  bool durations = false;  ///< http_request_duration_seconds too
};
/// GET http://127.0.0.1:port/metrics, looking for the HTTP families the api collector reads.
PrometheusAnswer prometheus(uint16_t port, Deadline deadline);

/// GET http://127.0.0.1:port/api/monitoring/current: true when it is Resync's document, with
/// agents{active, created_total} and llm{requests, tokens_used}.
bool resync_current(uint16_t port, Deadline deadline);

/// The time unit of the access log at `path` ("s" for nginx's $request_time, "us" for Apache's
/// %D) when its last line is in the combined/common format with a request time as last field;
/// nullopt otherwise. Reads at most the last 16 KB.
std::optional<std::string> access_log_time_unit(const std::string& path);

/// The HTTP status an HTTPS server on 127.0.0.1:port gives for the HCL WA engine info path
/// (401 from an engine without credentials), or nullopt when nothing answers HTTPS.
std::optional<int> tws(uint16_t port, Deadline deadline);

}  // namespace resync::cli::probe

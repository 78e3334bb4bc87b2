// SPDX-License-Identifier: MIT
#include "resync/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "resync/util/wall_clock.hpp"

namespace resync {
namespace {

std::mutex g_mutex;
LogSink g_sink;
std::atomic<LogLevel> g_level{LogLevel::kInfo};

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "?";
}

}  // namespace

void log(LogLevel level, std::string_view message) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  std::string line = format_iso8601_utc(wall_clock_ms()) + " " + level_name(level) + " " + std::string(message);
  std::lock_guard lock(g_mutex);
  if (g_sink) {
    g_sink(level, line);
  } else {
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

void set_log_level(LogLevel level) { g_level.store(level); }

LogSink set_log_sink(LogSink sink) {
  std::lock_guard lock(g_mutex);
  LogSink previous = std::move(g_sink);
  g_sink = std::move(sink);
  return previous;
}

}  // namespace resync

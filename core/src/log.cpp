// SPDX-License-Identifier: MIT
#include "resync/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "resync/util/utf8.hpp"
#include "resync/util/wall_clock.hpp"

namespace resync {
namespace {

std::mutex g_mutex;
LogSink g_sink;
std::atomic<LogLevel> g_level{LogLevel::kInfo};

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

void append_hex(std::string& out, const char* prefix, unsigned value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += prefix;
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) out += kHex[(value >> shift) & 0xf];
}

}  // namespace

// Messages quote what targets sent (errors, statuses): raw, a newline could forge a log line and
// an escape sequence could drive the terminal of whoever reads the log.
std::string escape_log_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const Utf8Step step = utf8_step(text, i);
      if (!step.valid) {
        for (size_t k = 0; k < step.length; ++k)
          append_hex(out, "\\x", static_cast<unsigned char>(text[i + k]), 2);
      } else if (c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
        append_hex(out, "\\u", static_cast<unsigned char>(text[i + 1]),
                   4);  // C1 control U+0080..U+009F
      } else {
        out.append(text, i, step.length);
      }
      i += step.length;
      continue;
    }
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c < 0x20 || c == 0x7f)
      append_hex(out, "\\x", c, 2);
    else
      out += static_cast<char>(c);
    ++i;
  }
  return out;
}

void log(LogLevel level, std::string_view message) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  std::string line = format_iso8601_utc(wall_clock_ms()) + " " + level_name(level) + " " +
                     escape_log_text(message);
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

// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <string_view>

namespace resync {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

/// Writes one line "2026-11-25T03:24:25Z warning message" to the log sink (stderr by default).
/// Thread-safe. Never pass secrets: nothing filters them here.
void log(LogLevel level, std::string_view message);
inline void log_info(std::string_view m) { log(LogLevel::kInfo, m); }
inline void log_warning(std::string_view m) { log(LogLevel::kWarning, m); }
inline void log_error(std::string_view m) { log(LogLevel::kError, m); }

/// Lines below `level` are dropped. Default: kInfo.
void set_log_level(LogLevel level);

/// Replaces the sink (tests capture lines with it); an empty function restores stderr.
/// Returns the previous sink.
using LogSink = std::function<void(LogLevel, std::string_view line)>;
LogSink set_log_sink(LogSink sink);

}  // namespace resync

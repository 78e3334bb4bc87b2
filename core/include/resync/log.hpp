// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace resync {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

/// Writes one line "2026-11-25T03:24:25Z warning message" to the log sink (stderr by default),
/// the message passed through escape_log_text(). Thread-safe. Never pass secrets: nothing filters
/// them here.
void log(LogLevel level, std::string_view message);

/// `text` made safe for one log line: valid UTF-8 stays as it is; newline, carriage return and tab
/// become \n, \r, \t; other control characters (C0, DEL, and C1 like U+009B, which terminals
/// read as escape sequences) become \xNN or \uNNNN; each byte of invalid UTF-8 becomes \xNN.
/// Backslashes are left alone, so ordinary messages read unchanged.
std::string escape_log_text(std::string_view text);
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

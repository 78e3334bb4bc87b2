// SPDX-License-Identifier: MIT
#include "access_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

namespace resync::plugin::api {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

// Index just past the quoted field starting at `open` (a '"'), honouring backslash escapes
// (Apache writes \" inside the request; nginx writes \x22); npos when it never closes.
size_t end_of_quoted(std::string_view line, size_t open) {
  for (size_t i = open + 1; i < line.size(); ++i) {
    if (line[i] == '\\') {
      ++i;
    } else if (line[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

double parse_request_time(std::string_view token) {
  double value = 0;
  const char* end = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(token.data(), end, value, std::chars_format::fixed);
  if (ec != std::errc() || ptr != end || !std::isfinite(value) || value < 0) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return value;
}

}  // namespace

std::optional<AccessLogEntry> parse_access_log_line(std::string_view line) {
  while (!line.empty() && (is_space(line.back()) || line.back() == '\r')) line.remove_suffix(1);
  const size_t request = line.find('"');
  if (request == std::string_view::npos) return std::nullopt;
  size_t at = end_of_quoted(line, request);
  if (at == std::string_view::npos) return std::nullopt;

  std::vector<std::string_view> fields;
  while (at < line.size()) {
    if (is_space(line[at])) {
      ++at;
      continue;
    }
    size_t end = at;
    if (line[at] == '"') {
      end = end_of_quoted(line, at);
      if (end == std::string_view::npos) return std::nullopt;
    } else {
      while (end < line.size() && !is_space(line[end])) ++end;
    }
    fields.push_back(line.substr(at, end - at));
    at = end;
  }
  if (fields.empty()) return std::nullopt;
  const std::string_view status = fields.front();
  if (status.size() != 3) return std::nullopt;
  AccessLogEntry entry;
  for (char c : status) {
    if (c < '0' || c > '9') return std::nullopt;
    entry.status = entry.status * 10 + (c - '0');
  }
  entry.request_time = fields.size() >= 3 ? parse_request_time(fields.back())
                                          : std::numeric_limits<double>::quiet_NaN();
  return entry;
}

LogFollower::LogFollower(std::string path) : path_(std::move(path)) { open_file(current_, true); }

LogFollower::~LogFollower() {
  close_file(current_);
  close_file(rotated_);
}

bool LogFollower::open_file(File& file, bool at_end) {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return false;
  }
  file = File{};
  file.fd = fd;
  file.dev = st.st_dev;
  file.ino = st.st_ino;
  if (at_end && st.st_size > 0) {
    file.offset = st.st_size;
    // Starting inside a line would hand over its tail as if it were a whole line.
    char last = '\n';
    if (::pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n') file.skip_to_newline = true;
  }
  return true;
}

void LogFollower::close_file(File& file) {
  if (file.fd >= 0) ::close(file.fd);
  if (!file.partial.empty()) ++dropped_lines_;
  file = File{};
}

void LogFollower::drain(File& file, const std::function<void(std::string_view)>& on_line,
                        Clock::time_point deadline) {
  struct stat st {};
  if (::fstat(file.fd, &st) == 0 && st.st_size < file.offset) {
    // copytruncate: the writer starts again at 0; what we held of the old content is gone.
    ++truncations_;
    file.offset = 0;
    file.partial.clear();
    file.skip_to_newline = false;
  }
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::pread(file.fd, buffer, sizeof buffer, file.offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    file.offset += n;
    std::string_view chunk(buffer, static_cast<size_t>(n));
    while (!chunk.empty()) {
      const size_t newline = chunk.find('\n');
      if (newline == std::string_view::npos) {
        if (!file.skip_to_newline) file.partial.append(chunk);
        if (file.partial.size() > kMaxLineBytes) {
          ++dropped_lines_;
          file.partial.clear();
          file.skip_to_newline = true;
        }
        break;
      }
      if (file.skip_to_newline) {
        file.skip_to_newline = false;
      } else if (file.partial.empty()) {
        std::string_view line = chunk.substr(0, newline);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        on_line(line);
      } else {
        file.partial.append(chunk.substr(0, newline));
        if (!file.partial.empty() && file.partial.back() == '\r') file.partial.pop_back();
        if (file.partial.size() <= kMaxLineBytes) {
          on_line(file.partial);
        } else {
          ++dropped_lines_;
        }
        file.partial.clear();
      }
      chunk.remove_prefix(newline + 1);
    }
    if (Clock::now() >= deadline) return;
  }
}

void LogFollower::poll(const std::function<void(std::string_view)>& on_line,
                       Clock::time_point deadline) {
  if (rotated_.fd >= 0) {
    drain(rotated_, on_line, deadline);
    close_file(rotated_);
  }
  if (current_.fd < 0) {
    if (!open_file(current_, false)) {
      throw std::runtime_error("cannot open " + path_ + ": " + std::strerror(errno));
    }
  }
  drain(current_, on_line, deadline);

  struct stat st {};
  // A missing path is a rename in progress (the writer has not reopened yet): keep reading the
  // file we hold, which is where the writer still appends.
  if (::stat(path_.c_str(), &st) != 0) return;
  if (st.st_ino == current_.ino && st.st_dev == current_.dev) return;
  File next;
  if (!open_file(next, false)) return;
  ++rotations_;
  close_file(rotated_);
  rotated_ = std::move(current_);
  current_ = std::move(next);
  drain(current_, on_line, deadline);
}

}  // namespace resync::plugin::api

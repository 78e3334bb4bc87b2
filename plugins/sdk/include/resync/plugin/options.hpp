// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <initializer_list>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

namespace resync::plugin {

/// A bad option: the message reads "<key>: <why>", which the host turns into
/// "file:line: collectors[i].<key>: <why>".
class OptionError : public std::runtime_error {
 public:
  OptionError(const std::string& key, const std::string& why)
      : std::runtime_error(key + ": " + why) {}
};

/// A collector's configuration as its plugin receives it (a JSON object). Remembers which keys
/// were read, so finish() can reject a misspelt key by name. Not thread-safe; used in create().
class Options {
 public:
  /// Throws OptionError when `json` is not a JSON object.
  explicit Options(const std::string& json);

  /// The host's keys: instance name, sampling interval, this collector's deadline, window.
  std::string name() const;
  std::chrono::milliseconds interval() const;
  std::chrono::milliseconds timeout() const;
  std::chrono::milliseconds window() const;

  bool has(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& fallback = {});
  std::string require_string(const std::string& key);
  /// A string restricted to `allowed`.
  std::string get_choice(const std::string& key, const std::string& fallback,
                         std::initializer_list<const char*> allowed);
  double get_number(const std::string& key, double fallback);
  bool get_bool(const std::string& key, bool fallback);
  /// A duration string like "500ms" or "5s".
  std::chrono::milliseconds get_duration(const std::string& key,
                                         std::chrono::milliseconds fallback);
  std::vector<std::string> get_string_list(const std::string& key);
  /// An object of string values, e.g. {agents_active: "/agents/active"}.
  std::map<std::string, std::string> get_string_map(const std::string& key);

  /// Throws OptionError naming the first key that no getter read.
  void finish() const;

 private:
  Poco::JSON::Object::Ptr object_;
  std::set<std::string> read_;
};

}  // namespace resync::plugin

// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace resync {

/// Appends `s` to `out` as a quoted JSON string that is valid whatever the bytes: quotes,
/// backslashes, control characters (and DEL, U+2028, U+2029) escaped, each maximal invalid UTF-8
/// subsequence replaced with U+FFFD (written "\ufffd").
void append_json_string(std::string& out, std::string_view s);
/// Appends the shortest text that reads back as `v`; NaN and infinities become null.
void append_json_number(std::string& out, double v);

/// A minimal streaming JSON writer into a std::string: hot documents are written by hand at a
/// few microseconds each instead of building a DOM. Inserts commas itself; the caller keeps
/// begin/end balanced. Not thread-safe (one writer per document).
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(double v);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(int64_t v);
  JsonWriter& value(uint64_t v);
  JsonWriter& value(bool v);
  JsonWriter& null();
  /// Inserts already-serialised JSON as one value.
  JsonWriter& raw(std::string_view json);

  /// Shorthands for key(k).value(v).
  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

 private:
  void separate();

  std::string& out_;
  std::vector<bool> has_items_;
  bool after_key_ = false;
};

}  // namespace resync

// SPDX-License-Identifier: MIT
#include "resync/plugin/options.hpp"

#include <Poco/JSON/Parser.h>

#include "resync/util/duration.hpp"

namespace resync::plugin {
namespace {

const char* const kHostKeys[] = {"name", "interval_ms", "timeout_ms", "window_ms"};

std::chrono::milliseconds host_ms(const Poco::JSON::Object::Ptr& o, const char* key,
                                  long long fallback) {
  return std::chrono::milliseconds{o->has(key) ? o->getValue<long long>(key) : fallback};
}

}  // namespace

Options::Options(const std::string& json) {
  try {
    Poco::JSON::Parser parser;
    object_ = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception& e) {
    throw OptionError("(options)", std::string("not a JSON object: ") + e.what());
  }
  if (!object_) throw OptionError("(options)", "not a JSON object");
}

std::string Options::name() const { return object_->optValue<std::string>("name", ""); }
std::chrono::milliseconds Options::interval() const {
  return host_ms(object_, "interval_ms", 5000);
}
std::chrono::milliseconds Options::timeout() const { return host_ms(object_, "timeout_ms", 2000); }
std::chrono::milliseconds Options::window() const {
  return host_ms(object_, "window_ms", 7'200'000);
}

bool Options::has(const std::string& key) const {
  return object_->has(key) && !object_->isNull(key);
}

std::string Options::get_string(const std::string& key, const std::string& fallback) {
  read_.insert(key);
  if (!has(key)) return fallback;
  const Poco::Dynamic::Var v = object_->get(key);
  if (v.isArray() || v.isStruct()) throw OptionError(key, "expected a single value");
  return v.convert<std::string>();
}

std::string Options::require_string(const std::string& key) {
  std::string v = get_string(key);
  if (v.empty()) throw OptionError(key, "missing; this collector needs it");
  return v;
}

std::string Options::get_choice(const std::string& key, const std::string& fallback,
                                std::initializer_list<const char*> allowed) {
  std::string v = get_string(key, fallback);
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return v;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  throw OptionError(key, "expected one of " + list + ", got \"" + v + "\"");
}

double Options::get_number(const std::string& key, double fallback) {
  read_.insert(key);
  if (!has(key)) return fallback;
  const Poco::Dynamic::Var v = object_->get(key);
  try {
    if (v.isNumeric()) return v.convert<double>();
    if (v.isString()) {
      const std::string s = v.convert<std::string>();
      size_t used = 0;
      const double d = std::stod(s, &used);
      if (used == s.size()) return d;
    }
  } catch (const std::exception&) {
  }
  throw OptionError(key, "expected a number, got \"" + v.toString() + "\"");
}

bool Options::get_bool(const std::string& key, bool fallback) {
  read_.insert(key);
  if (!has(key)) return fallback;
  const Poco::Dynamic::Var v = object_->get(key);
  if (v.isBoolean()) return v.convert<bool>();
  const std::string s = v.toString();
  if (s == "true") return true;
  if (s == "false") return false;
  throw OptionError(key, "expected true or false, got \"" + s + "\"");
}

std::chrono::milliseconds Options::get_duration(const std::string& key,
                                                std::chrono::milliseconds fallback) {
  read_.insert(key);
  if (!has(key)) return fallback;
  const std::string s = object_->get(key).toString();
  auto d = parse_duration(s);
  if (!d) throw OptionError(key, "expected a duration like \"5s\", got \"" + s + "\"");
  return *d;
}

std::vector<std::string> Options::get_string_list(const std::string& key) {
  read_.insert(key);
  std::vector<std::string> out;
  if (!has(key)) return out;
  Poco::JSON::Array::Ptr array = object_->getArray(key);
  if (!array) throw OptionError(key, "expected a list");
  for (size_t i = 0; i < array->size(); ++i) out.push_back(array->get(i).convert<std::string>());
  return out;
}

std::map<std::string, std::string> Options::get_string_map(const std::string& key) {
  read_.insert(key);
  std::map<std::string, std::string> out;
  if (!has(key)) return out;
  Poco::JSON::Object::Ptr o = object_->getObject(key);
  if (!o) throw OptionError(key, "expected a mapping");
  for (const auto& [k, v] : *o) {
    if (v.isArray() || v.isStruct()) throw OptionError(key + "." + k, "expected a single value");
    out[k] = v.convert<std::string>();
  }
  return out;
}

void Options::finish() const {
  std::vector<std::string> unknown;
  for (const auto& [k, v] : *object_) {
    bool known = read_.count(k) > 0;
    for (const char* h : kHostKeys) known = known || k == h;
    if (!known) unknown.push_back(k);
  }
  if (unknown.empty()) return;
  std::string expected;
  for (const std::string& k : read_) expected += (expected.empty() ? "" : ", ") + k;
  throw OptionError(unknown.front(),
                    "unknown key; expected one of plugin, name, timeout, isolation" +
                        (expected.empty() ? std::string() : ", " + expected));
}

}  // namespace resync::plugin

// SPDX-License-Identifier: MIT
#include "tws_jobs.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>

namespace resync::plugin::tws {
namespace {

enum class Bucket { kError, kRunning, kWaiting, kDone };

// SPEC section 4 names internal job states. The engine may also group by the external status
// (the plan's "status" as opposed to "internalStatus"), so those names map to the same buckets,
// and ABENDP, the spelling of HCL's documentation, counts as ABENP.
std::optional<Bucket> bucket_of(std::string status) {
  std::transform(status.begin(), status.end(), status.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  static const std::map<std::string, Bucket> kBuckets = {
      {"ABEND", Bucket::kError},     {"ABENP", Bucket::kError},     {"ABENDP", Bucket::kError},
      {"FAIL", Bucket::kError},      {"ERROR", Bucket::kError},     {"STUCK", Bucket::kError},
      {"EXEC", Bucket::kRunning},    {"STARTED", Bucket::kRunning}, {"RUNNING", Bucket::kRunning},
      {"HOLD", Bucket::kWaiting},    {"READY", Bucket::kWaiting},   {"WAIT", Bucket::kWaiting},
      {"INTRO", Bucket::kWaiting},   {"PEND", Bucket::kWaiting},    {"HELD", Bucket::kWaiting},
      {"WAITING", Bucket::kWaiting}, {"SUCC", Bucket::kDone},       {"SUCCP", Bucket::kDone},
      {"SUCCESSFUL", Bucket::kDone}};
  const auto it = kBuckets.find(status);
  if (it == kBuckets.end()) return std::nullopt;
  return it->second;
}

double as_count(const Poco::Dynamic::Var& v, const std::string& what) {
  try {
    if (v.isNumeric()) {
      const double d = v.convert<double>();
      if (d >= 0 && std::isfinite(d)) return d;
    } else if (v.isString()) {
      const std::string s = v.convert<std::string>();
      size_t used = 0;
      const double d = std::stod(s, &used);
      if (used == s.size() && d >= 0) return d;
    }
  } catch (const std::exception&) {
  }
  throw std::runtime_error(what + " is not a count");
}

}  // namespace

void JobBuckets::add(const std::string& status, double count) {
  const auto b = bucket_of(status);
  if (!b) return;
  switch (*b) {
    case Bucket::kError:
      error += count;
      break;
    case Bucket::kRunning:
      running += count;
      break;
    case Bucket::kWaiting:
      waiting += count;
      break;
    case Bucket::kDone:
      done += count;
      break;
  }
}

JobBuckets parse_job_count(const std::string& body) {
  Poco::Dynamic::Var root;
  try {
    Poco::JSON::Parser parser;
    // The answer is two levels deep; a deeper one is not a job count and must not recurse far.
    parser.setDepth(16);
    root = parser.parse(body);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("not JSON (" + e.message() + ")");
  }
  Poco::JSON::Object::Ptr object;
  try {
    object = root.extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
  }
  if (!object) throw std::runtime_error("expected a JSON object");
  if (!object->has("groupedCount")) throw std::runtime_error("no groupedCount field");
  JobBuckets buckets;
  if (Poco::JSON::Object::Ptr groups = object->getObject("groupedCount")) {
    for (const auto& [status, count] : *groups)
      buckets.add(status, as_count(count, "groupedCount." + status));
    return buckets;
  }
  Poco::JSON::Array::Ptr groups = object->getArray("groupedCount");
  if (!groups) throw std::runtime_error("groupedCount is neither an object nor an array");
  for (size_t i = 0; i < groups->size(); ++i) {
    Poco::JSON::Object::Ptr entry = groups->getObject(static_cast<unsigned>(i));
    const std::string where = "groupedCount[" + std::to_string(i) + "]";
    if (!entry) throw std::runtime_error(where + " is not an object");
    std::optional<std::string> status;
    for (const char* key : {"status", "key", "value", "name", "group"}) {
      if (entry->has(key) && !entry->isNull(key)) {
        status = entry->get(key).toString();
        break;
      }
    }
    if (!status) throw std::runtime_error(where + " names no status");
    if (!entry->has("count")) throw std::runtime_error(where + " has no count");
    buckets.add(*status, as_count(entry->get("count"), where + ".count"));
  }
  return buckets;
}

}  // namespace resync::plugin::tws

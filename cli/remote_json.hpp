// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <string>
#include <vector>

#include "resync/snapshot.hpp"
#include "resync/util/prom_text.hpp"

/// Reads an older server's JSON documents (/current, /health, /history, /alerts, /metrics) back
/// into a MonitorSnapshot's plain data; see remote_source.cpp for what they give and what not.
namespace resync::cli::remote_json {

using Poco::JSON::Array;
using Poco::JSON::Object;

/// The number at `key` (NaN for null), or `fallback` when absent or not a number.
double number(const Object::Ptr& o, const std::string& key, double fallback = 0);
/// The text at `key`, "" when absent or null.
std::string text(const Object::Ptr& o, const std::string& key);
/// "2026-12-02T01:45:39Z" (format_iso8601) to epoch ms; 0 for anything else.
int64_t parse_iso8601(const std::string& s);
/// The major version of "1.2.3", 0 when none.
int major_version(const std::string& version);
Alert read_alert(const Object::Ptr& a);
CollectorHealth read_health(const std::string& name, const Object::Ptr& h);
/// Series of a plugin this machine does not have, described from what /metrics says of it.
std::vector<SeriesDescription> describe_from_metrics(const util::PromParseResult& metrics,
                                                     const std::string& instance);
/// Epoch seconds of /history back to the grid (see the definition).
std::vector<int64_t> grid_times(const Array::Ptr& epoch, int64_t interval_ms);
/// The /history array at a dotted field path, or null.
Array::Ptr history_array(const Object::Ptr& doc, const std::string& field);

}  // namespace resync::cli::remote_json

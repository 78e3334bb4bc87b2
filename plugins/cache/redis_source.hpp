// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

#include "resync/plugin/options.hpp"
#include "source.hpp"

namespace resync::plugin::cache {

/// The `redis` source: `INFO stats` and `DBSIZE` over one kept connection to `address`, after
/// `AUTH [user] password` and `SELECT database` when configured. Reads its keys from `o`; throws
/// OptionError. Each read() ends within `budget` and reconnects once when Redis dropped the kept
/// connection while idle. Errors and status never contain the password.
std::unique_ptr<Source> make_redis_source(Options& o, std::chrono::milliseconds budget);

/// The value of "key:" in an INFO reply ("key:value\r\n" lines) as a number, or nullopt when
/// the key is absent or its value is not a number.
std::optional<double> info_field(std::string_view info, std::string_view key);

}  // namespace resync::plugin::cache

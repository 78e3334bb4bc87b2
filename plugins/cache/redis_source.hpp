// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>

#include "resync/plugin/options.hpp"
#include "source.hpp"

namespace resync::plugin::cache {

/// The `redis` source: `INFO stats` and `DBSIZE` over one kept connection to `address`, after
/// `AUTH [user] password` and `SELECT database` when configured. Reads its keys from `o`; throws
/// OptionError. Each read() ends within `budget` and reconnects once when Redis dropped the kept
/// connection while idle. Errors and status never contain the password.
std::unique_ptr<Source> make_redis_source(Options& o, std::chrono::milliseconds budget);

}  // namespace resync::plugin::cache

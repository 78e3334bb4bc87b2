// SPDX-License-Identifier: MIT
#pragma once

#include "config_tree.hpp"
#include "resync/config.hpp"

namespace resync::detail {

/// The `notify:` section into `config.notify`, adding header values that carry credentials and
/// passwords in URLs to `config.secrets`. Throws ConfigError naming the key
/// ("notify.webhook[1].url") for an unknown key, a missing or malformed URL, or a value out of
/// range.
void parse_notify(const ConfigReader& reader, const ConfigNode& notify, Config& config);

}  // namespace resync::detail

// SPDX-License-Identifier: MIT
#pragma once

#include "config_tree.hpp"
#include "resync/config.hpp"

namespace resync::detail {

/// The `server:` section into `config.server` (bind, auth, tls, origins, hosts, limits), adding
/// its credentials to `config.secrets`. Throws ConfigError naming the key ("server.auth.token")
/// for an unknown key, an empty secret, an unverifiable password hash or a value out of range.
/// TLS file names are taken relative to the configuration file's folder; whether they load is
/// the server's to check.
void parse_server(const ConfigReader& reader, const ConfigNode& server, Config& config);

}  // namespace resync::detail

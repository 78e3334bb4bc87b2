// SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "resync/http/client.hpp"

namespace resync::plugin {

// The client lives in resync::http so the host can link it too; collectors keep these names.
using http::check_url;
using http::display_url;
using http::http_get;
using http::HttpError;
using http::HttpOptions;
using http::HttpResponse;

class Options;

/// Reads option `key` as a required http(s) URL; throws OptionError naming the key otherwise.
std::string require_url(Options& o, const std::string& key = "url");

/// Reads the TLS options every HTTPS collector shares into `http`: `ca_file` (must be readable)
/// and `insecure` (explicit opt-in, not together with ca_file). When verification is off, writes
/// one warning line naming the collector and `url` (shown without credentials).
void read_tls_options(Options& o, HttpOptions& http, const std::string& url);

/// Writes one warning line to stderr in the host's log format; for conditions worth a line
/// once (e.g. TLS verification switched off), never for per-sample noise.
void log_warning(const std::string& message);

}  // namespace resync::plugin

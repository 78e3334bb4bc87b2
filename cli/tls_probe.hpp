// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <string>

namespace resync::cli {

/// For an https:// `url` whose server answers plain HTTP, throws SourceError (exit 6) saying to
/// use http://, within about a quarter of `budget` (at most 1 s); otherwise returns, leaving any
/// other failure for the real request to report. Does nothing for other URLs.
void refuse_plain_http(const std::string& url, std::chrono::milliseconds budget);

}  // namespace resync::cli

// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

/// The files of the live dashboard, embedded in the binary at build time (templates/), so the
/// server needs no file system and no network to serve them.
namespace resync {

/// One embedded file. Every view points into static storage that lives as long as the program.
struct Asset {
  std::string_view path;          ///< URL path, e.g. "/monitoring/assets/dashboard.js"
  std::string_view content_type;  ///< Content-Type, e.g. "text/javascript; charset=utf-8"
  std::string_view body;          ///< the file's bytes, exactly as built
};

/// The asset served at the URL `path` (no query string), or nullptr. "/monitoring" is the page;
/// "/monitoring/assets/<file>" are its script, style sheet and the vendored uPlot files.
/// Thread-safe: reads constant data only.
const Asset* find_asset(std::string_view path);

}  // namespace resync

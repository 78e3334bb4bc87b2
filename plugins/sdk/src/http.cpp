// SPDX-License-Identifier: MIT
#include "resync/plugin/http.hpp"

#include <cstdio>
#include <fstream>

#include "resync/plugin/options.hpp"
#include "resync/util/wall_clock.hpp"

namespace resync::plugin {

std::string require_url(Options& o, const std::string& key) {
  std::string url = o.require_string(key);
  const std::string problem = check_url(url);
  if (!problem.empty()) throw OptionError(key, problem);
  return url;
}

void read_tls_options(Options& o, HttpOptions& http, const std::string& url) {
  http.ca_file = o.get_string("ca_file");
  if (!http.ca_file.empty() && !std::ifstream(http.ca_file)) {
    throw OptionError("ca_file", "cannot read \"" + http.ca_file + "\"");
  }
  http.insecure = o.get_bool("insecure", false);
  if (http.insecure && !http.ca_file.empty()) {
    throw OptionError("insecure",
                      "true skips verification, so ca_file would be ignored; set one of them");
  }
  if (http.insecure) {
    log_warning("collector '" + o.name() +
                "': TLS certificate verification is off (insecure: true) for " + display_url(url));
  }
}

void log_warning(const std::string& message) {
  std::fprintf(stderr, "%s warning %s\n", format_iso8601_utc(wall_clock_ms()).c_str(),
               message.c_str());
}

}  // namespace resync::plugin

// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "test_support.hpp"

namespace resync::test {

/// Debian's prometheus-alertmanager on a free loopback port: gossip off, its own storage
/// folder, one receiver that notifies nobody; stopped by PID on destruction. Throws
/// std::runtime_error when the binary is missing or it does not start.
class Alertmanager {
 public:
  Alertmanager();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// Its log so far, for failure messages.
  std::string log() const { return read_file(dir_.file("am.log")); }
  /// GET /api/v2/alerts: the JSON array of the alerts it lists now.
  std::string alerts_json() const;

 private:
  TempDir dir_{"resync-am"};
  uint16_t port_;
  std::unique_ptr<Process> process_;
};

}  // namespace resync::test

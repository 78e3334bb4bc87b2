// SPDX-License-Identifier: MIT
#include "alertmanager.hpp"

#include <stdexcept>

namespace resync::test {

Alertmanager::Alertmanager() : port_(free_port()) {
  const auto binary = find_program("prometheus-alertmanager");
  if (!binary)
    throw std::runtime_error(
        "prometheus-alertmanager not found; install it with scripts/deps --test");
  write_file(dir_.file("am.yml"),
             "route:\n  receiver: none\n  group_wait: 1s\nreceivers:\n  - name: none\n");
  process_ = std::make_unique<Process>(
      std::vector<std::string>{
          *binary, "--config.file=" + dir_.file("am.yml"), "--storage.path=" + dir_.file("data"),
          "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--cluster.listen-address="},
      dir_.file("am.log"));
  if (!wait_for_port(port_, std::chrono::seconds{20}))
    throw std::runtime_error("alertmanager did not start: " + log());
}

std::string Alertmanager::alerts_json() const {
  const HttpResult r = http_get(url() + "/api/v2/alerts");
  if (r.status != 200)
    throw std::runtime_error("alertmanager answered " + std::to_string(r.status) + ": " + r.body);
  return r.body;
}

}  // namespace resync::test

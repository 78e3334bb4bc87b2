// SPDX-License-Identifier: MIT
#include "run_cli.hpp"

#include <filesystem>
#include <regex>
#include <thread>

namespace resync::test {

std::vector<std::string> ServeProcess::argv(const std::string& config,
                                            std::vector<std::string> extra) {
  // No config: the embedded default, as a user runs `resync-mon serve` with no file.
  std::vector<std::string> args = {resync_binary()};
  if (!config.empty()) args.insert(args.end(), {"--config", config});
  args.insert(args.end(), {"serve", "--bind", "127.0.0.1:0"});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

ServeProcess::ServeProcess(const std::string& config, const std::string& log,
                           const std::map<std::string, std::string>& env,
                           std::vector<std::string> extra)
    : process_(argv(config, std::move(extra)), log, env) {
  static const std::regex kLine(R"(dashboard at (https?://127\.0\.0\.1:\d+)/monitoring)");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
  std::smatch m;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = std::filesystem::exists(log) ? read_file(log) : "";
    if (std::regex_search(text, m, kLine)) {
      url_ = m[1];
      return;
    }
    if (!process_.running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  ADD_FAILURE() << "resync-mon serve did not print its URL; log:\n"
                << (std::filesystem::exists(log) ? read_file(log) : "");
}

bool ServeProcess::wait_for_samples(size_t samples,
                                    const std::map<std::string, std::string>& headers) {
  static const std::regex kCount(R"("samples_collected":([0-9]+))");
  return !url_.empty() &&
         eventually(
             [&] {
               std::smatch m;
               const std::string body = http_get(url_ + "/api/monitoring/health", headers).body;
               return std::regex_search(body, m, kCount) && std::stoull(m[1]) >= samples;
             },
             kPatience, std::chrono::milliseconds{50});
}

}  // namespace resync::test

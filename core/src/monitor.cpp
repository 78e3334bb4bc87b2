// SPDX-License-Identifier: MIT
#include "resync/monitor.hpp"

#include <map>

#include "resync/catalog.hpp"
#include "resync/error.hpp"

namespace resync {
namespace {

// A plugin's create() error about one key starts with "<key>: "; place it in the file.
[[noreturn]] void rethrow_create_error(const Config& config, const CollectorConfig& cc, const std::string& message) {
  const size_t colon = message.find(": ");
  if (colon != std::string::npos) {
    const std::string key = message.substr(0, colon);
    auto it = cc.key_lines.find(key);
    if (it != cc.key_lines.end()) {
      throw ConfigError(config_message(config.source, it->second, cc.key_path + "." + key, message.substr(colon + 2)));
    }
    if (key == "name" || key == "timeout") {
      throw ConfigError(config_message(config.source, cc.line, cc.key_path + "." + key, message.substr(colon + 2)));
    }
  }
  throw ConfigError(config_message(config.source, cc.line, cc.key_path, message));
}

}  // namespace

Monitor::Monitor(Config config) : config_(std::move(config)), started_at_(std::chrono::system_clock::now()) {
  const PluginHost host(PluginHost::default_search_dirs(config_.plugin_dir));
  std::map<std::string, std::shared_ptr<const Plugin>> loaded;
  std::vector<CollectorEntry> entries;
  for (const CollectorConfig& cc : config_.collectors) {
    auto& plugin = loaded[cc.plugin];
    if (!plugin) {
      try {
        plugin = host.load(cc.plugin);
      } catch (const PluginLoadError& e) {
        throw PluginLoadError(config_message(config_.source, cc.line, cc.key_path + ".plugin", e.what()));
      }
    }
    std::unique_ptr<Collector> collector;
    try {
      collector = std::make_unique<PluginCollector>(plugin, cc.options_json);
    } catch (const PluginLoadError& e) {
      rethrow_create_error(config_, cc, redact(e.what(), config_.secrets));
    }
    for (const std::string& metric : plugin->series()) layout_.add({metric, cc.name, cc.plugin});
    layout_.add({std::string(kCollectorUp), cc.name, cc.plugin});
    layout_.add({std::string(kCollectorDuration), cc.name, cc.plugin});
    instances_.push_back({cc.name, cc.plugin, plugin->series()});
    entries.push_back({cc.name, cc.plugin, std::move(collector), cc.timeout});
  }
  store_ = std::make_unique<RingBuffer>(layout_.size(), config_.capacity());
  alerts_ = std::make_unique<AlertEngine>(config_.alerts, layout_);
  SamplerOptions options;
  options.interval = config_.interval;
  options.secrets = config_.secrets;
  sampler_ = std::make_unique<Sampler>(std::move(entries), layout_, *store_, options);
  sampler_->set_listener([this](int64_t t, const std::vector<double>& row) { on_sample(t, row); });
}

Monitor::~Monitor() { stop(); }

void Monitor::start() { sampler_->start(); }

void Monitor::stop() {
  if (sampler_) sampler_->stop();
}

void Monitor::sample_now(int64_t grid_ms) { sampler_->sample_at(grid_ms); }

void Monitor::on_sample(int64_t timestamp_ms, const std::vector<double>& row) {
  alerts_->evaluate(timestamp_ms, row.data(), previous_row_.empty() ? nullptr : previous_row_.data());
  previous_row_ = row;
  for (const Listener& l : listeners_) l(timestamp_ms);
}

}  // namespace resync

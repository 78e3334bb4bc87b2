// SPDX-License-Identifier: MIT
#include "resync/monitor.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "plugin_host.hpp"
#include "process_collector.hpp"
#include "resync/catalog.hpp"
#include "resync/error.hpp"
#include "resync/log.hpp"
#include "resync/plugins.hpp"
#include "resync/signals.hpp"

namespace resync {
namespace {

// A plugin's create() error about one key starts with "<key>: "; place it in the file.
[[noreturn]] void rethrow_create_error(const Config& config, const CollectorConfig& cc,
                                       const std::string& message) {
  const size_t colon = message.find(": ");
  if (colon != std::string::npos) {
    const std::string key = message.substr(0, colon);
    auto it = cc.key_lines.find(key);
    if (it != cc.key_lines.end()) {
      throw ConfigError(config_message(config.source, it->second, cc.key_path + "." + key,
                                       message.substr(colon + 2)));
    }
    if (key == "name" || key == "timeout") {
      throw ConfigError(config_message(config.source, cc.line, cc.key_path + "." + key,
                                       message.substr(colon + 2)));
    }
  }
  throw ConfigError(config_message(config.source, cc.line, cc.key_path, message));
}

// Which installed plugin declares `metric`, as advice for a rule nobody provides: a newcomer who
// copied a rule from an example needs to hear which collector brings its series. Error path only.
std::string provider_hint(const std::string& metric, const std::string& plugin_dir) {
  for (const PluginInfo& p : discover_plugins(plugin_search_dirs(plugin_dir))) {
    for (const SeriesDescription& d : p.series) {
      if (d.name == metric) {
        return "; the " + p.name + " plugin provides it: add a collector `- plugin: " + p.name +
               "`, or remove this rule";
      }
    }
  }
  return "";
}

}  // namespace

Monitor::Monitor(Config config)
    : config_(std::move(config)), started_at_(std::chrono::system_clock::now()) {
  require_resolved(config_);  // a reader's configuration cannot run collectors or a server
  const PluginHost host(PluginHost::default_search_dirs(config_.plugin_dir));
  std::map<std::string, std::shared_ptr<const Plugin>> loaded;
  std::vector<CollectorEntry> entries;
  for (const CollectorConfig& cc : config_.collectors) {
    auto& plugin = loaded[cc.plugin];
    if (!plugin) {
      try {
        plugin = host.load(cc.plugin);
      } catch (const PluginLoadError& e) {
        throw PluginLoadError(
            config_message(config_.source, cc.line, cc.key_path + ".plugin", e.what()));
      }
    }
    std::unique_ptr<Collector> collector;
    try {
      if (cc.isolation == Isolation::kProcess) {
        collector = std::make_unique<ProcessCollector>(
            ProcessCollector::Options{collector_host_executable(), plugin->path(), plugin->name(),
                                      cc.name, cc.options_json, cc.timeout});
      } else {
        const CurrentCollector current(cc.name.c_str());  // a crash in create() names it too
        collector = std::make_unique<PluginCollector>(plugin, cc.options_json);
      }
    } catch (const PluginLoadError& e) {
      rethrow_create_error(config_, cc, redact(e.what(), config_.secrets));
    }
    add_instance({cc.name, cc.plugin, plugin->series(), plugin->info().status_field,
                  plugin->info().default_rules});
    entries.push_back({cc.name, cc.plugin, std::move(collector), cc.timeout});
  }
  std::vector<std::string> others;
  for (std::string& name : plugin_names(PluginHost::default_search_dirs(config_.plugin_dir))) {
    if (!loaded.count(name)) others.push_back(std::move(name));
  }
  unconfigured_ = std::make_shared<const std::vector<std::string>>(std::move(others));
  finish(std::move(entries));
}

Monitor::Monitor(Config config, std::vector<InstanceInfo> instances,
                 std::vector<std::unique_ptr<Collector>> collectors)
    : config_(std::move(config)), started_at_(std::chrono::system_clock::now()) {
  if (instances.size() != collectors.size()) {
    throw std::invalid_argument("Monitor: " + std::to_string(instances.size()) + " instances but " +
                                std::to_string(collectors.size()) + " collectors");
  }
  const auto timeout =
      std::min<std::chrono::milliseconds>(std::chrono::seconds{2}, config_.interval);
  std::vector<CollectorEntry> entries;
  for (size_t i = 0; i < instances.size(); ++i) {
    if (!collectors[i])
      throw std::invalid_argument("Monitor: collector of instance " + instances[i].name +
                                  " is null");
    for (const InstanceInfo& other : instances_) {
      if (other.name == instances[i].name)
        throw std::invalid_argument("Monitor: instance name " + other.name + " used twice");
    }
    entries.push_back({instances[i].name, instances[i].plugin, std::move(collectors[i]), timeout});
    add_instance(std::move(instances[i]));
  }
  finish(std::move(entries));
}

void Monitor::add_instance(InstanceInfo info) {
  for (const SeriesDescription& d : info.series) layout_.add({d.name, info.name, info.plugin, d});
  for (const SeriesDescription& d : host_series()) layout_.add({d.name, info.name, info.plugin, d});
  instances_.push_back(std::move(info));
}

// Rules are checked against what the configured plugins declare, which is only known once they
// are loaded; the built-in defaults may name series nobody provides and then simply never fire.
void Monitor::check_rules() const {
  for (const AlertRule& rule : config_.alerts) {
    if (rule.key_path.empty()) continue;
    auto fail = [&](int line, const std::string& key, const std::string& message) {
      throw ConfigError(config_message(config_.source, line, rule.key_path + "." + key, message));
    };
    const InstanceInfo* instance = nullptr;
    if (!rule.instance.empty()) {
      std::string names;
      for (const InstanceInfo& i : instances_) {
        if (i.name == rule.instance) instance = &i;
        names += (names.empty() ? "" : ", ") + i.name;
      }
      if (!instance) {
        fail(rule.instance_line, "instance",
             "no collector instance is named \"" + rule.instance +
                 "\"; configured: " + (names.empty() ? "none" : names));
      }
    }
    auto known = [&](const std::string& metric) {
      return instance ? layout_.find(metric, instance->name).has_value()
                      : layout_.find_first(metric).has_value();
    };
    if (!known(rule.metric)) {
      if (instance && layout_.find_first(rule.metric)) {
        fail(rule.line, "metric",
             "instance \"" + instance->name + "\" (plugin " + instance->plugin +
                 ") does not provide \"" + rule.metric + "\"" + known_series(instance->name));
      }
      fail(rule.line, "metric",
           "no configured collector provides \"" + rule.metric + "\"" +
               provider_hint(rule.metric, config_.plugin_dir) + known_series());
    }
    if (!rule.guard) continue;
    for (size_t i = 0; i < rule.guard->metrics.size(); ++i) {
      if (!known(rule.guard->metrics[i])) {
        fail(rule.line, "guard.metrics[" + std::to_string(i) + "]",
             "no configured collector provides \"" + rule.guard->metrics[i] + "\"" +
                 (instance ? " on instance \"" + instance->name + "\"" : std::string()));
      }
    }
  }
}

std::string Monitor::known_series(const std::string& instance) const {
  std::vector<std::string> names;
  for (const SeriesKey& k : layout_.keys()) {
    if (!instance.empty() && k.instance != instance) continue;
    if (is_host_series(k.metric) || std::find(names.begin(), names.end(), k.metric) != names.end())
      continue;
    names.push_back(k.metric);
  }
  std::string text;
  for (const std::string& n : names) text += (text.empty() ? "; known: " : ", ") + n;
  return text;
}

MonitorSnapshot Monitor::snapshot(size_t max_rows) const {
  MonitorSnapshot s;
  s.taken_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  s.started_at_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(started_at_.time_since_epoch()).count();
  s.interval = config_.interval;
  s.window = config_.window;
  s.capacity = store_->capacity();
  s.series = keys_;
  s.rules = rules_;
  s.unconfigured_plugins = unconfigured_;
  for (const InstanceInfo& i : instances_) {
    if (!i.status_field.empty()) s.status_fields.emplace(i.plugin, i.status_field);
  }
  s.store = store_->snapshot(max_rows);
  s.rows_held = store_->size();
  s.alerts = alerts_->recent();
  s.active = alerts_->active();
  s.current = alerts_->current();
  s.events = alerts_->events();
  for (const auto& n : notifiers_) s.notifiers.push_back(n->health());
  s.health = sampler_->health();
  s.runs_started = sampler_->runs_started();
  s.ticks_skipped = sampler_->ticks_skipped();
  s.discovery = discovery_;
  return s;
}

void Monitor::set_listen_address(const std::string& host_port) {
  if (!config_.notify.dashboard_url.empty()) return;
  for (const auto& n : notifiers_)
    n->set_dashboard_url(default_dashboard_url(host_port, !config_.server.tls_cert_file.empty()));
}

void Monitor::finish(std::vector<CollectorEntry> entries) {
  check_rules();
  keys_ = std::make_shared<const std::vector<SeriesKey>>(layout_.keys());
  store_ = std::make_unique<RingBuffer>(layout_.size(), config_.capacity());
  std::vector<PluginInfo> plugins;
  for (const InstanceInfo& i : instances_) {
    PluginInfo p;
    p.name = i.plugin;
    p.default_rules = i.default_rules;
    plugins.push_back(std::move(p));
  }
  // The engine's rules are the screens' too: thresholds and colours of the plugins' defaults.
  rules_ = std::make_shared<const std::vector<AlertRule>>(effective_alert_rules(config_, plugins));
  alerts_ = std::make_unique<AlertEngine>(*rules_, layout_);
  const std::string dashboard_url =
      config_.notify.dashboard_url.empty()
          ? default_dashboard_url(config_.server.bind, !config_.server.tls_cert_file.empty())
          : config_.notify.dashboard_url;
  for (const NotifierConfig& n : config_.notify.notifiers) {
    notifiers_.push_back(std::make_unique<Notifier>(n, dashboard_url, config_.secrets));
  }
  if (!notifiers_.empty()) {
    alerts_->set_listener([this](const AlertEvent& e) {
      for (const auto& n : notifiers_) n->enqueue(e);
    });
  }
  SamplerOptions options;
  options.interval = config_.interval;
  options.secrets = config_.secrets;
  sampler_ = std::make_unique<Sampler>(std::move(entries), layout_, *store_, options);
  sampler_->set_listener([this](int64_t t, const std::vector<double>& row) { on_sample(t, row); });
  sampler_->set_recorder([this](int64_t t, const std::vector<double>& row) {
    if (state_ && running_) state_->record(t, row.data());
  });
  if (!config_.state_file.empty()) {
    state_ = std::make_unique<StateFile>(config_.state_file, config_.source, config_.interval,
                                         config_.window, config_.state_save_interval);
  }
}

Monitor::~Monitor() { stop(); }

void Monitor::claim_state_file() {
  if (state_) state_->claim();
}

void Monitor::restore_state() {
  state_->claim();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const std::optional<SavedState> saved = state_->load(now_ms);
  if (saved) state_->restore(*saved, layout_, *store_, now_ms);
  if (saved && !saved->alert_state.empty()) {
    try {
      alerts_->restore_state(saved->alert_state);
    } catch (const std::invalid_argument& e) {
      log_warning("state file " + state_->path() + ": alert state not restored (" + e.what() +
                  "); alerts start afresh");
    }
  }
  // Saved at once: the journal starts from this file, and a state file of another interval or
  // layout is replaced before the first sample is journaled against it.
  save_state();
}

void Monitor::save_state() { state_->save(snapshot(), alerts_->save_state()); }

void Monitor::start() {
  if (running_) return;
  if (state_) restore_state();
  // Alerts restored with the state are already announced: Alertmanager hears of them again at
  // its next resend (it expects that), webhooks not at all.
  const std::vector<Alert> restored = alerts_->active();
  for (const auto& n : notifiers_) {
    n->seed(restored);
    n->start();
  }
  // Set before the sampler thread exists and cleared after it is joined, so on_sample() reads
  // it on that thread without a lock.
  running_ = true;
  sampler_->start();
}

void Monitor::stop() {
  if (sampler_) sampler_->stop();
  // Only a started monitor saves: `resync-mon current` never starts one and must not replace a
  // server's history with its two samples.
  if (state_ && running_) save_state();
  if (state_) state_->release();
  for (const auto& n : notifiers_) n->stop();
  running_ = false;
}

void Monitor::sample_now(int64_t grid_ms) { sampler_->sample_at(grid_ms); }

void Monitor::on_sample(int64_t timestamp_ms, const std::vector<double>& row) {
  const bool transitions = !alerts_
                                ->evaluate(timestamp_ms, row.data(),
                                           previous_row_.empty() ? nullptr : previous_row_.data())
                                .empty();
  previous_row_ = row;
  for (const Listener& l : listeners_) l(timestamp_ms);
  // Samples reach the journal one by one (the recorder); the state file is rewritten once a minute,
  // compacting the journal, and within a second of an alert transition, which only it holds, so
  // that a kill does not make a restart announce an alert again. sample_now() on a monitor never
  // started (`current`) does not save.
  if (!state_ || !running_) return;
  if (transitions) state_->mark_dirty();
  if (state_->due()) save_state();
}

}  // namespace resync

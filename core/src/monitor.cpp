// SPDX-License-Identifier: MIT
#include "resync/monitor.hpp"

#include <algorithm>
#include <stdexcept>

#include "monitor_build.hpp"
#include "resync/error.hpp"
#include "resync/log.hpp"

namespace resync {

Monitor::Monitor(Config config)
    : config_(std::move(config)),
      interval_(config_.interval),
      capacity_(config_.capacity()),
      started_at_(std::chrono::system_clock::now()) {
  require_resolved(config_);  // a reader's configuration cannot run collectors or a server
  detail::BuiltCollectors built = detail::build_collectors(config_, nullptr);
  instances_ = std::move(built.instances);
  unconfigured_ = std::make_shared<const std::vector<std::string>>(std::move(built.unconfigured));
  finish(std::move(built.entries));
}

Monitor::Monitor(Config config, std::vector<InstanceInfo> instances,
                 std::vector<std::unique_ptr<Collector>> collectors)
    : config_(std::move(config)),
      interval_(config_.interval),
      capacity_(config_.capacity()),
      started_at_(std::chrono::system_clock::now()) {
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
    instances_.push_back(std::move(instances[i]));
  }
  finish(std::move(entries));
}

MonitorSnapshot Monitor::snapshot(size_t max_rows) const {
  MonitorSnapshot s;
  s.taken_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  s.started_at_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(started_at_.time_since_epoch()).count();
  s.interval = interval_;
  s.capacity = capacity_;
  std::shared_lock lock(swap_mutex_);
  s.window = config_.window;
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
  s.config = config_status_;
  return s;
}

void Monitor::set_listen_address(const std::string& host_port) {
  if (!config_.notify.dashboard_url.empty()) return;
  for (const auto& n : notifiers_)
    n->set_dashboard_url(default_dashboard_url(host_port, !config_.server.tls_cert_file.empty()));
}

void Monitor::finish(std::vector<CollectorEntry> entries) {
  auto layout = std::make_shared<SeriesLayout>();
  for (const InstanceInfo& i : instances_) detail::add_instance_series(*layout, i);
  detail::check_rules(config_, instances_, *layout);
  layout_ = live_layout_ = std::move(layout);
  keys_ = std::make_shared<const std::vector<SeriesKey>>(layout_->keys());
  store_ = std::make_unique<RingBuffer>(layout_->size(), capacity_);
  // The engine's rules are the screens' too: thresholds and colours of the plugins' defaults.
  rules_ =
      std::make_shared<const std::vector<AlertRule>>(detail::rules_in_effect(config_, instances_));
  const std::string dashboard_url =
      config_.notify.dashboard_url.empty()
          ? default_dashboard_url(config_.server.bind, !config_.server.tls_cert_file.empty())
          : config_.notify.dashboard_url;
  for (const NotifierConfig& n : config_.notify.notifiers) {
    notifiers_.push_back(std::make_unique<Notifier>(n, dashboard_url, config_.secrets));
  }
  alerts_ = make_alerts(*rules_, *live_layout_);
  sampler_ = make_sampler(std::move(entries), *live_layout_, *store_, config_);
  if (!config_.state_file.empty()) {
    state_ = std::make_unique<StateFile>(config_.state_file, config_.source, config_.interval,
                                         config_.window, config_.state_save_interval);
  }
  config_status_.source = config_.source;
  config_status_.loaded_at_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(started_at_.time_since_epoch()).count();
}

// The alert engine's listener and the sampler's callbacks go through `this`, so they follow a
// reload's swap.
std::unique_ptr<AlertEngine> Monitor::make_alerts(const std::vector<AlertRule>& rules,
                                                  const SeriesLayout& live_layout) {
  auto alerts = std::make_unique<AlertEngine>(rules, live_layout);
  if (!notifiers_.empty()) {
    alerts->set_listener([this](const AlertEvent& e) {
      for (const auto& n : notifiers_) n->enqueue(e);
    });
  }
  return alerts;
}

std::unique_ptr<Sampler> Monitor::make_sampler(std::vector<CollectorEntry> entries,
                                               const SeriesLayout& live_layout, RingBuffer& store,
                                               const Config& config) {
  SamplerOptions options;
  options.interval = config.interval;
  options.secrets = config.secrets;
  auto sampler = std::make_unique<Sampler>(std::move(entries), live_layout, store, options);
  sampler->set_listener([this](int64_t t, const std::vector<double>& row) { on_sample(t, row); });
  sampler->set_recorder([this](int64_t t, const std::vector<double>& row) {
    if (state_ && running_) state_->record(t, row.data());
  });
  return sampler;
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
  if (saved) state_->restore(*saved, *layout_, *store_, now_ms);
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

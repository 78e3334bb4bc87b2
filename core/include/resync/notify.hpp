// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "resync/alert_engine.hpp"

namespace resync {

/// One entry under `notify:` (an `alertmanager` or a `webhook`).
struct NotifierConfig {
  enum class Kind { kAlertmanager, kWebhook };
  Kind kind = Kind::kWebhook;
  std::string
      name;  ///< unique; names it in /health and /metrics ("alertmanager", "webhook-2", ...)
  /// Webhook: the endpoint. Alertmanager: its base URL; "/api/v2/alerts" is appended unless the
  /// path already ends with it.
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  ///< sent with every request
  std::chrono::milliseconds timeout{5000};                   ///< per attempt, connect to last byte
  size_t retries = 8;                       ///< attempts after the first before giving up an event
  std::chrono::milliseconds backoff{1000};  ///< wait before the first retry; doubles per retry
  std::chrono::milliseconds max_backoff{60000};
  size_t queue = 256;                       ///< events waiting; when full the oldest is dropped
  std::chrono::milliseconds resend{60000};  ///< Alertmanager: how often firing alerts are re-posted
  std::string ca_file;                      ///< PEM bundle for https; "" = the system's CAs
  bool insecure = false;                    ///< skip certificate verification
  std::string key_path;                     ///< "notify.webhook[1]", for messages
  int line = 0;

  /// The URL a request goes to.
  std::string endpoint() const;
};

/// The `notify:` section.
struct NotifyConfig {
  /// Link to the dashboard in every notification (Alertmanager's generatorURL); "" = derived from
  /// server.bind.
  std::string dashboard_url;
  std::vector<NotifierConfig> notifiers;
};

/// Delivery state of one notifier, for /api/monitoring/health and /metrics.
struct NotifierHealth {
  std::string name;
  std::string kind;             ///< "alertmanager" or "webhook"
  std::string url;              ///< the endpoint without user info
  uint64_t queued = 0;          ///< waiting plus in flight
  uint64_t sent = 0;            ///< events delivered
  uint64_t failed = 0;          ///< events given up: out of retries, or refused with a 4xx status
  uint64_t dropped = 0;         ///< events pushed out of a full queue
  int64_t last_success_ms = 0;  ///< 0 = never
  int64_t last_error_ms = 0;    ///< 0 = never
  std::string last_error;       ///< the newest error, secrets removed; kept after a success
};

/// Delivers alert events to one endpoint from a thread of its own, so neither a slow receiver nor
/// a dead one ever delays a sample: enqueue() only appends to a bounded queue. Failed requests are
/// retried with exponential backoff, in order (a webhook gets each transition once and in order
/// unless it times out after accepting one, or the queue overflows). The Alertmanager notifier
/// also re-posts every firing alert each `resend`, as Alertmanager's clients must, with an endsAt
/// four resends ahead so that alerts of a monitor that died expire by themselves.
///
/// Thread-safe: enqueue() and seed() from the sampler (or any) thread, health() from any thread.
class Notifier {
 public:
  /// `secrets` are removed from every error kept or logged. Nothing runs before start().
  Notifier(NotifierConfig config, std::string dashboard_url, std::vector<std::string> secrets);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void start();
  /// The dashboard link of the payloads; before start() only (the thread reads it unlocked).
  void set_dashboard_url(std::string url) { dashboard_url_ = std::move(url); }
  /// Stops the thread, waiting at most for the request in flight (its timeout).
  void stop();
  /// Queues one transition. Never blocks on the network.
  void enqueue(const AlertEvent& event);
  /// Alerts already firing when the monitor starts (restored state). Alertmanager re-posts them
  /// on its next resend; a webhook sends nothing, since they were announced before the restart.
  void seed(const std::vector<Alert>& active);
  NotifierHealth health() const;
  const NotifierConfig& config() const { return config_; }

 private:
  using Clock = std::chrono::steady_clock;
  void run();
  std::string body_for(const std::vector<AlertEvent>& batch, int64_t now_ms) const;
  void deliver(std::unique_lock<std::mutex>& lock, const std::string& body, size_t events);
  void note_error(const std::string& error, int64_t now_ms);

  NotifierConfig config_;
  std::string dashboard_url_;
  std::vector<std::string> secrets_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<AlertEvent> queue_;
  std::vector<AlertEvent> in_flight_;  // taken from the queue, being (re)tried
  std::map<uint64_t, Alert> firing_;   // Alertmanager: episodes to re-post, by id
  size_t attempts_ = 0;                // failed attempts of in_flight_
  Clock::time_point retry_at_{};
  Clock::time_point resend_at_{};
  NotifierHealth health_;
  bool stopping_ = false;
  bool seeded_ = false;  // alerts restored before start(): re-post them at once
  std::thread thread_;
};

/// The body Alertmanager's POST /api/v2/alerts takes: one object per alert with labels
/// (alertname, severity, instance, metric), annotations (summary, value, state), startsAt,
/// endsAt (the resolve time, or `valid_until_ms` while active) and generatorURL.
std::string alertmanager_payload(const std::vector<Alert>& alerts, int64_t valid_until_ms,
                                 const std::string& generator_url);

/// The webhook body of one transition, format version 1 (docs/configuration.md, "Notifications").
std::string webhook_payload(const AlertEvent& event, const std::string& dashboard_url);

/// "2026-11-25T03:24:25.120Z": RFC 3339 in UTC with milliseconds.
std::string format_rfc3339_ms(int64_t epoch_ms);

/// "http://HOST:PORT/monitoring" ("https://" with `tls`) for a server bound to `bind`; a wildcard
/// address becomes this machine's host name.
std::string default_dashboard_url(const std::string& bind, bool tls = false);

}  // namespace resync

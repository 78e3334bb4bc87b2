// SPDX-License-Identifier: MIT
#include <algorithm>

#include "resync/config.hpp"
#include "resync/http/client.hpp"
#include "resync/log.hpp"
#include "resync/notify.hpp"
#include "resync/util/duration.hpp"
#include "resync/util/wall_clock.hpp"

namespace resync {
namespace {

constexpr std::string_view kAlertsPath = "/api/v2/alerts";
// Alertmanager batches are cut at this many events so one request stays small.
constexpr size_t kMaxBatch = 64;
// A notification endpoint answers with a short status; anything longer is not read.
constexpr size_t kMaxResponseBytes = 64 * 1024;

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool retryable(int status) { return status >= 500 || status == 408 || status == 429; }

// The endpoint as shown in /health, logs and errors: no user info and no query, where tokens
// tend to hide.
std::string shown_url(const std::string& url) {
  const std::string shown = http::display_url(url);
  return shown.substr(0, shown.find('?'));
}

}  // namespace

std::string NotifierConfig::endpoint() const {
  if (kind == Kind::kWebhook) return url;
  const size_t query = url.find('?');
  std::string base = url.substr(0, query);
  if (ends_with(base, kAlertsPath)) return url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + std::string(kAlertsPath) + (query == std::string::npos ? "" : url.substr(query));
}

Notifier::Notifier(NotifierConfig config, std::string dashboard_url,
                   std::vector<std::string> secrets)
    : config_(std::move(config)),
      dashboard_url_(std::move(dashboard_url)),
      secrets_(std::move(secrets)) {
  health_.name = config_.name;
  health_.kind = config_.kind == NotifierConfig::Kind::kAlertmanager ? "alertmanager" : "webhook";
  health_.url = redact(shown_url(config_.endpoint()), secrets_);
}

Notifier::~Notifier() { stop(); }

void Notifier::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  // Alerts restored at start are re-posted at once (Alertmanager may have expired them while we
  // were down); alerts that fire from now on are posted when they do, then every `resend`.
  resend_at_ = seeded_ ? Clock::now() : Clock::now() + config_.resend;
  thread_ = std::thread([this] { run(); });
}

void Notifier::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Notifier::enqueue(const AlertEvent& event) {
  {
    std::lock_guard lock(mutex_);
    // The set to re-post follows every event as it happens, not as it is delivered: an event
    // dropped from a full queue must not leave a resolved alert being re-posted forever.
    if (config_.kind == NotifierConfig::Kind::kAlertmanager) {
      // Severity is a label, so an alert that settles from flapping at another severity is another
      // alert to Alertmanager: end the old one rather than let it linger until its endsAt.
      if (auto it = firing_.find(event.alert.id);
          it != firing_.end() && it->second.severity != event.alert.severity) {
        AlertEvent ended = event;
        ended.previous = it->second.state;
        ended.alert = it->second;
        ended.alert.state = AlertState::kResolved;
        ended.alert.resolved_at_ms = event.at_ms;
        queue_.push_back(std::move(ended));
      }
      if (event.alert.active())
        firing_[event.alert.id] = event.alert;
      else
        firing_.erase(event.alert.id);
    }
    queue_.push_back(event);
    while (queue_.size() > std::max<size_t>(config_.queue, 1)) {
      queue_.pop_front();
      ++health_.dropped;
    }
  }
  wake_.notify_one();
}

void Notifier::seed(const std::vector<Alert>& active) {
  std::lock_guard lock(mutex_);
  if (config_.kind != NotifierConfig::Kind::kAlertmanager) return;
  for (const Alert& a : active) firing_[a.id] = a;
  seeded_ = !firing_.empty();
}

NotifierHealth Notifier::health() const {
  std::lock_guard lock(mutex_);
  NotifierHealth h = health_;
  h.queued = queue_.size() + in_flight_.size();
  return h;
}

std::string Notifier::body_for(const std::vector<AlertEvent>& batch, int64_t now_ms) const {
  if (config_.kind == NotifierConfig::Kind::kWebhook)
    return webhook_payload(batch.front(), dashboard_url_);
  // Only what Alertmanager knows: alerts that fired, each in its latest state. A pending alert
  // that never fired is none of its business.
  std::vector<Alert> alerts;
  for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
    const Alert& a = it->alert;
    const bool fired =
        a.active() || it->previous == AlertState::kFiring || it->previous == AlertState::kFlapping;
    if (!fired) continue;
    const auto same = [&](const Alert& b) { return b.id == a.id && b.severity == a.severity; };
    if (std::none_of(alerts.begin(), alerts.end(), same)) alerts.push_back(a);
  }
  if (alerts.empty()) return {};
  std::reverse(alerts.begin(), alerts.end());
  return alertmanager_payload(alerts, now_ms + 4 * config_.resend.count(), dashboard_url_);
}

void Notifier::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto now = Clock::now();
    if (in_flight_.empty() && !queue_.empty()) {
      const size_t n =
          config_.kind == NotifierConfig::Kind::kWebhook ? 1 : std::min(queue_.size(), kMaxBatch);
      in_flight_.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      attempts_ = 0;
    }
    if (!in_flight_.empty()) {
      if (now < retry_at_) {
        wake_.wait_until(lock, retry_at_, [this] { return stopping_; });
        continue;
      }
      const std::string body = body_for(in_flight_, wall_clock_ms());
      if (body.empty()) {  // nothing Alertmanager needs to hear
        in_flight_.clear();
        continue;
      }
      deliver(lock, body, in_flight_.size());
      continue;
    }
    if (config_.kind == NotifierConfig::Kind::kAlertmanager && now >= resend_at_) {
      resend_at_ = now + config_.resend;
      if (!firing_.empty()) {
        std::vector<Alert> alerts;
        for (const auto& [id, a] : firing_) alerts.push_back(a);
        deliver(lock,
                alertmanager_payload(alerts, wall_clock_ms() + 4 * config_.resend.count(),
                                     dashboard_url_),
                0);
        continue;
      }
    }
    if (config_.kind == NotifierConfig::Kind::kAlertmanager) {
      wake_.wait_until(lock, resend_at_, [this] { return stopping_ || !queue_.empty(); });
    } else {
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    }
  }
}

// Posts `body` with the lock released. `events` > 0 delivers in_flight_ (retried on failure);
// 0 is a resend, whose retry is simply the next resend.
void Notifier::deliver(std::unique_lock<std::mutex>& lock, const std::string& body, size_t events) {
  http::HttpOptions options;
  options.timeout = config_.timeout;
  options.headers = config_.headers;
  options.ca_file = config_.ca_file;
  options.insecure = config_.insecure;
  options.max_body_bytes = kMaxResponseBytes;
  const std::string url = config_.endpoint();
  const std::string what = "POST " + health_.url + ": ";
  lock.unlock();
  std::string error;
  bool permanent = false;
  try {
    const http::HttpResponse r = http::http_post(url, body, "application/json", options);
    if (r.status < 200 || r.status >= 300) {
      error = what + "HTTP " + std::to_string(r.status) + " " + r.reason;
      permanent = !retryable(r.status);
    }
  } catch (const http::HttpError& e) {
    // The client's message starts with the URL it was given; show ours instead.
    const std::string text = e.what();
    const std::string prefix = "POST " + http::display_url(url) + ": ";
    error = what + (text.rfind(prefix, 0) == 0 ? text.substr(prefix.size()) : text);
  } catch (const std::exception&) {
    error = what + "invalid request";
    permanent = true;
  }
  lock.lock();
  const int64_t now_ms = wall_clock_ms();
  if (error.empty()) {
    if (!health_.last_error.empty() && health_.last_success_ms < health_.last_error_ms) {
      log_info("notifier " + config_.name + ": delivering again");
    }
    health_.last_success_ms = now_ms;
    health_.sent += events;
    in_flight_.clear();
    attempts_ = 0;
    return;
  }
  note_error(error, now_ms);
  if (events == 0) return;
  ++attempts_;
  if (permanent || attempts_ > config_.retries) {
    health_.failed += in_flight_.size();
    log_warning("notifier " + config_.name + ": gave up " + std::to_string(in_flight_.size()) +
                " event(s) after " + std::to_string(attempts_) + " attempt(s)");
    in_flight_.clear();
    attempts_ = 0;
    return;
  }
  auto wait = config_.backoff;
  for (size_t i = 1; i < attempts_ && wait < config_.max_backoff; ++i) wait *= 2;
  retry_at_ = Clock::now() + std::min(wait, config_.max_backoff);
}

void Notifier::note_error(const std::string& error, int64_t now_ms) {
  const std::string clean = redact(error, secrets_);
  // One line per distinct error, not one per retry: a receiver that is down for an hour would
  // otherwise fill the log.
  if (clean != health_.last_error || health_.last_success_ms > health_.last_error_ms) {
    log_warning("notifier " + config_.name + ": " + clean);
  }
  health_.last_error = clean;
  health_.last_error_ms = now_ms;
}

}  // namespace resync

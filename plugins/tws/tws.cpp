// SPDX-License-Identifier: MIT
// The `tws` collector: reachability, latency and job states of an HCL Workload Automation (TWS)
// engine through its REST API V2 over HTTPS (SPEC section 4). A target that is down or refuses
// our credentials is data (tws_connected = 0 with the reason as status), not a collector failure.
#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <string>

#include "resync/plugin/http.hpp"
#include "resync/plugin/plugin.hpp"
#include "resync/util/host_port.hpp"
#include "tws_jobs.hpp"

namespace resync::plugin {
namespace {

using tws::JobBuckets;
using tws::parse_job_count;

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr uint16_t kDefaultPort = 31116;
constexpr const char* kDefaultPlanFilter = "/@/@#/@/@.@";
constexpr const char* kInfoPath = "/twsd/api/v2/engine/info";
constexpr const char* kJobCountPath = "/twsd/api/v2/plan/job/count";
// A job count answer is a handful of status names; more than this is not one.
constexpr size_t kMaxJobCountBody = 1024 * 1024;

constexpr resync_series_desc kSeries[] = {
    {"tws_connected", RESYNC_UNIT_BOOLEAN, RESYNC_KIND_GAUGE,
     "1 when the HCL Workload Automation engine answered the probe, else 0.", "tws.connected",
     "tws.connected", 0},
    {"tws_latency_ms", RESYNC_UNIT_MILLISECONDS, RESYNC_KIND_GAUGE,
     "Round trip of the engine probe.", "tws.latency_ms", "tws.latency", 0},
    {"tws_requests_success", RESYNC_UNIT_COUNT, RESYNC_KIND_COUNTER,
     "Engine probes that succeeded since resync-mon started.", "tws.requests_success", nullptr, 0},
    {"tws_requests_failed", RESYNC_UNIT_COUNT, RESYNC_KIND_COUNTER,
     "Engine probes that failed since resync-mon started.", "tws.requests_failed", nullptr, 0},
    {"tws_jobs_error", RESYNC_UNIT_COUNT, RESYNC_KIND_GAUGE,
     "Jobs in the plan in ABEND, ABENP, FAIL, ERROR or STUCK.", "tws.jobs.error", nullptr, 0},
    {"tws_jobs_running", RESYNC_UNIT_COUNT, RESYNC_KIND_GAUGE,
     "Jobs in the plan in EXEC or STARTED.", "tws.jobs.running", nullptr, 0},
    {"tws_jobs_waiting", RESYNC_UNIT_COUNT, RESYNC_KIND_GAUGE,
     "Jobs in the plan in HOLD, READY, WAIT, INTRO or PEND.", "tws.jobs.waiting", nullptr, 0},
    {"tws_jobs_done", RESYNC_UNIT_COUNT, RESYNC_KIND_GAUGE, "Jobs in the plan in SUCC or SUCCP.",
     "tws.jobs.done", nullptr, 0},
};

// The original dashboard's rule; calm (see DefaultRule::calm()), so a link that drops for one
// probe, or keeps bouncing, does not page again and again.
const resync_alert_rule kRules[] = {
    DefaultRule("tws_connected").critical(RESYNC_CMP_EQUALS, 0).calm().rule(),
};

// How the dashboard and the report show these series: the cards and charts of the original
// Resync dashboard.
constexpr resync_series_hint kHints[] = {
    {"tws_connected", nullptr, "connected", nullptr, RESYNC_HINT_HEADLINE | RESYNC_HINT_NO_CHART},
    {"tws_latency_ms", nullptr, "latency", "Workload Automation latency", RESYNC_HINT_HEADLINE},
    {"tws_jobs_error", nullptr, "jobs in error", "Jobs", 0},
    {"tws_jobs_running", nullptr, "running", "Jobs", 0},
    {"tws_jobs_waiting", nullptr, "waiting", "Jobs", 0},
    {"tws_jobs_done", nullptr, "done", nullptr, RESYNC_HINT_NO_CHART},
    {"tws_requests_success", nullptr, "requests ok", nullptr, RESYNC_HINT_NO_CHART},
    {"tws_requests_failed", nullptr, "requests failed", nullptr, RESYNC_HINT_NO_CHART},
};
constexpr resync_presentation kPresentation = {
    sizeof(resync_presentation), "Workload Automation",     40, kHints,
    std::size(kHints),           sizeof(resync_series_hint)};

// Percent-encodes a query value, keeping the characters a plan filter is written with.
std::string encode_query_value(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == '@' ||
        c == ':') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

// The message of an HttpError without its "GET <url>: " prefix (and "TLS: ", which the status
// line says already).
std::string reason_of(const HttpError& e) {
  std::string why = e.what();
  const size_t sep = why.find(": ");
  if (sep != std::string::npos) why = why.substr(sep + 2);
  if (why.compare(0, 5, "TLS: ") == 0) why = why.substr(5);
  return why;
}

class TwsCollector final : public CollectorBase {
 public:
  explicit TwsCollector(Options& o) {
    const std::string url = o.require_string("url");
    const std::string problem = check_url(url);
    if (!problem.empty()) throw OptionError("url", problem);
    const Poco::URI uri(url);
    if (!uri.getUserInfo().empty())
      throw OptionError("url", "put credentials in user and password, not in the URL");
    if (!uri.getRawQuery().empty() || !uri.getFragment().empty()) {
      throw OptionError("url",
                        "expected the engine's base URL like \"https://tws.example:31116\", "
                        "without ?query or #fragment");
    }
    const uint16_t port = uri.getSpecifiedPort() == 0 ? kDefaultPort : uri.getSpecifiedPort();
    std::string path = uri.getPath();
    while (!path.empty() && path.back() == '/') path.pop_back();
    base_url_ = uri.getScheme() + "://" + format_host_port(uri.getHost(), port) + path;

    const std::string user = o.get_string("user");
    const std::string password = o.get_string("password");
    const std::string api_key = o.get_string("api_key");
    if (!api_key.empty() && (!user.empty() || !password.empty())) {
      throw OptionError("api_key", "set either api_key or user and password, not both");
    }
    if (!user.empty() && password.empty())
      throw OptionError("password", "missing; `user` needs a password");
    if (user.empty() && !password.empty())
      throw OptionError("user", "missing; `password` needs a user");
    http_.basic_user = user;
    http_.basic_password = password;
    // HCL WA API keys are JWTs presented as bearer tokens.
    http_.bearer_token = api_key;

    read_tls_options(o, http_, base_url_);
    http_.headers.emplace_back("Accept", "application/json");

    jobs_ = o.get_bool("jobs", true);
    const std::string plan_filter = o.get_string("plan_filter", kDefaultPlanFilter);
    if (plan_filter.empty()) throw OptionError("plan_filter", "must not be empty");
    job_count_url_ = base_url_ + kJobCountPath + "?plan_filter=" + encode_query_value(plan_filter) +
                     "&grouping_filters=status";
    budget_ = std::max(milliseconds{1}, o.timeout() * 8 / 10);
  }

  void collect(const Emitter& emit) override {
    const auto deadline = Clock::now() + budget_;
    http_.timeout = budget_;
    std::string status;
    bool connected = false;
    double latency = kNaN;
    try {
      const HttpResponse r = http_get(base_url_ + kInfoPath, http_);
      latency = r.elapsed_ms;
      connected = r.status >= 200 && r.status <= 299;
      if (r.status == 401 || r.status == 403) {
        status = "unauthorized (HTTP " + std::to_string(r.status) + ")";
      } else if (!connected) {
        status =
            "error: HTTP " + std::to_string(r.status) + (r.reason.empty() ? "" : " " + r.reason);
      }
    } catch (const HttpError& e) {
      switch (e.kind()) {
        case HttpError::Kind::kTimeout:
          status = "timeout after " + std::to_string(budget_.count()) + " ms";
          break;
        case HttpError::Kind::kConnect:
          status = "down: " + reason_of(e);
          break;
        case HttpError::Kind::kTls:
          status = "tls: " + reason_of(e);
          break;
        default:
          status = "error: " + reason_of(e);
          break;
      }
    }
    ++(connected ? successes_ : failures_);
    emit("tws_connected", connected ? 1 : 0);
    emit("tws_latency_ms", latency);
    emit("tws_requests_success", static_cast<double>(successes_));
    emit("tws_requests_failed", static_cast<double>(failures_));

    JobBuckets jobs;
    bool have_jobs = false;
    if (connected && jobs_) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        status = "connected; jobs: no time left within " + std::to_string(budget_.count()) + " ms";
      } else {
        try {
          HttpOptions http = http_;
          http.timeout = left;
          http.max_body_bytes = kMaxJobCountBody;
          const HttpResponse r = http_get(job_count_url_, http);
          if (r.status < 200 || r.status > 299) {
            status = "connected; jobs: HTTP " + std::to_string(r.status) +
                     (r.reason.empty() ? "" : " " + r.reason);
          } else {
            jobs = parse_job_count(r.body);
            have_jobs = true;
          }
        } catch (const HttpError& e) {
          status = "connected; jobs: " + reason_of(e);
        } catch (const std::exception& e) {
          status = std::string("connected; jobs: bad answer: ") + e.what();
        }
      }
    }
    emit("tws_jobs_error", have_jobs ? jobs.error : kNaN);
    emit("tws_jobs_running", have_jobs ? jobs.running : kNaN);
    emit("tws_jobs_waiting", have_jobs ? jobs.waiting : kNaN);
    emit("tws_jobs_done", have_jobs ? jobs.done : kNaN);
    set_status(status.empty() ? "ok" : status);
  }

 private:
  std::string base_url_;
  std::string job_count_url_;
  HttpOptions http_;
  bool jobs_ = true;
  milliseconds budget_{1600};
  uint64_t successes_ = 0, failures_ = 0;
};

}  // namespace
}  // namespace resync::plugin

RESYNC_DEFINE_PLUGIN_WITH_HINTS_AND_RULES(
    resync::plugin::TwsCollector, "tws",
    "HCL Workload Automation engine: reachability, latency and job states (REST API V2)",
    resync::plugin::kSeries, "tws.status", resync::plugin::kPresentation, resync::plugin::kRules)

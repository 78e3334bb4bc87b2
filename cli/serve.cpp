// SPDX-License-Identifier: MIT
#include <malloc.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "commands.hpp"
#include "discover.hpp"
#include "resync/error.hpp"
#include "resync/log.hpp"
#include "resync/monitor.hpp"
#include "resync/server/http_server.hpp"
#include "resync/signals.hpp"
#include "resync/util/host_port.hpp"
#include "resync/util/wall_clock.hpp"
#include "resync/views/json.hpp"

namespace resync::cli {
namespace {

struct ServeOptions {
  std::string bind;  ///< "" = server.bind of the configuration
  bool prefill = false;
};

// Benchmarks need a full window, and waiting 2 h for one is not an option: take one real sample
// per past grid point of the window, oldest first, before the sampler starts.
void prefill_window(Monitor& monitor) {
  const auto started = std::chrono::steady_clock::now();
  const int64_t interval = monitor.config().interval.count();
  const int64_t newest = wall_clock_ms() / interval * interval;
  const auto samples = static_cast<int64_t>(monitor.store().capacity());
  for (int64_t k = samples - 1; k >= 0; --k) monitor.sample_now(newest - k * interval);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log_info("--bench-prefill: " + std::to_string(samples) + " samples in " +
           std::to_string(took.count()) + " ms");
}

// glibc gives each thread that allocates while others hold a lock an arena of its own, up to
// 8 per core, and an arena keeps the pages its freed chunks leave between live ones. With 64
// workers rendering and sending documents, 16 arenas slowly filled with such holes: the soak's
// RSS rose 16 -> 21 MB over 15 min while live heap stayed at 3.4 MB. No more arenas than cores
// (only that many threads run at once) kept it flat. MALLOC_ARENA_MAX in the environment wins.
void limit_malloc_arenas() {
  if (std::getenv("MALLOC_ARENA_MAX")) return;
  mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
}

// Once per sample: a freed large document (a 7 d /history is tens of MB) goes back to the kernel
// instead of waiting in its arena for the next one. About 0.4 ms (median in the soak).
void return_free_heap() { malloc_trim(0); }

// A plain password in the configuration is also sent in the clear by every browser request; on
// loopback nobody else sees it, beyond it without TLS (server.tls) anyone on the path does.
void warn_plain_password(const ServerConfig& server, const std::string& base_url) {
  if (server.policies.auth_password.empty()) return;
  const auto bound = try_parse_host_port(server.bind, std::nullopt, PortZero::kAllow);
  const std::string host = bound ? bound->host : "";
  const bool loopback = host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
  if (loopback || base_url.rfind("https://", 0) == 0) return;
  log_warning("server.auth.password is stored in plain text and " + base_url +
              " is beyond loopback without TLS: set server.tls (docs/operations.md, \"TLS\"), "
              "and prefer password_hash (resync-mon hash-password)");
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& n : names) text += (text.empty() ? "" : ", ") + n;
  return text;
}

void log_reload(const ReloadReport& r, const std::string& source, std::chrono::milliseconds took) {
  std::string line = "configuration reloaded from " + source + " in " +
                     std::to_string(took.count()) + " ms: " + std::to_string(r.rules) + " rules";
  if (!r.added.empty()) line += "; collectors added: " + joined(r.added);
  if (!r.removed.empty()) line += "; removed: " + joined(r.removed);
  if (!r.changed.empty()) line += "; changed: " + joined(r.changed);
  if (r.retired_series > 0) {
    line += "; " + std::to_string(r.retired_series) +
            " series of removed collectors kept until they age out of the window";
  }
  log_info(line);
  if (!r.needs_restart.empty()) {
    log_warning("reload: " + joined(r.needs_restart) +
                " changed, which needs a restart; the running values stay until then");
  }
}

// The HTTP server's own things to re-read on reload, called after the monitor took the new
// configuration, with the server settings in effect: its per-request policies (auth, Host, CORS,
// Origin) apply at once, and the TLS files are read again for new connections; the rest of
// `server:` needs a restart (see Monitor::reload()).
void reload_http_server(server::HttpServer& http, const ServerConfig& running) {
  http.apply_policies(running);
  if (!running.tls_cert_file.empty()) {
    // Checked before the reload was applied; a file replaced since then is refused here and the
    // running certificate stays.
    const std::string error = http.reload_tls(running.tls_cert_file, running.tls_key_file);
    if (!error.empty()) log_error("reload: the running certificate stays: " + error);
  }
  warn_plain_password(running, http.base_url());
}

// SIGHUP: the configuration read again as at start (same file, --bind, discovery) and applied.
// Anything wrong with it is refused with its error logged, secrets removed, and the running
// configuration stays, as Prometheus does.
void reload(const GlobalOptions& global, const ServeOptions& options, Monitor& monitor,
            server::HttpServer& http) {
  const auto started = std::chrono::steady_clock::now();
  log_info("received SIGHUP, reloading the configuration");
  try {
    Config config = load_selected_config(global);
    if (!options.bind.empty()) config.server.bind = options.bind;
    const std::string source = config.source;
    if (!config.server.tls_cert_file.empty()) {
      // A certificate that does not load refuses the whole reload, before anything changes.
      const std::string error =
          server::check_tls_files(config.server.tls_cert_file, config.server.tls_key_file);
      if (!error.empty()) throw ConfigError(source + ": " + error);
    }
    DiscoveryReport discovered = apply_discovery(config, DiscoveryTargets::from_environment());
    const ReloadReport report = monitor.reload(std::move(config));
    if (discovered.ran) monitor.set_discovery(discovered);
    log_reload(report, source,
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started));
    if (discovered.ran) log_discovery(discovered);
    reload_http_server(http, monitor.config().server);
    monitor.reload_applied();
  } catch (const std::exception& e) {
    const std::string error = redact(e.what(), monitor.config().secrets);
    log_error("reload refused, the running configuration stays: " + error);
    monitor.reload_failed(error);
  }
}

// main() started the signal thread: until arm_stop_signals(), SIGINT/SIGTERM end the process at
// once (loading a configuration or plugins has nothing to save); from then on they come to
// wait_for_signal(), which this thread sigwaits in itself once serving (take_signals()), and
// shutdown runs on this thread, as do reloads (SIGHUP), in order. It is
// bounded even with a collector stuck in collect(): the sampler abandons it after a deadline
// (~Sampler()).
int serve(const GlobalOptions& global, const ServeOptions& options) {
  limit_malloc_arenas();
  Config config = load_selected_config(global);
  if (!options.bind.empty()) config.server.bind = options.bind;
  DiscoveryReport discovered = apply_discovery(config, DiscoveryTargets::from_environment());
  Monitor monitor(std::move(config));
  if (discovered.ran) monitor.set_discovery(discovered);
  // Before binding: a second server on the same state file is told so, not "port in use".
  monitor.claim_state_file();
  if (options.prefill) prefill_window(monitor);
  server::HttpServer http(monitor, server::HttpServerOptions::from_config(monitor.config().server));
  monitor.add_listener([](int64_t) { return_free_heap(); });
  try {
    http.start();
  } catch (const ConfigError& e) {
    throw ConfigError(monitor.config().source + ": " + e.what());  // a TLS file: name the config
  }
  warn_plain_password(monitor.config().server, http.base_url());
  const std::string base_url = http.base_url();
  monitor.set_listen_address(base_url.substr(base_url.find("://") + 3));
  arm_stop_signals();  // before the state file is restored, so a stop from here on saves it
  monitor.start();
  std::printf("resync-mon %s: dashboard at %s/monitoring\n", views::version(),
              http.base_url().c_str());
  std::fflush(stdout);
  log_discovery(discovered);

  arm_hangup();
  // Serving, this thread has nothing to do but wait for signals: it takes them itself, one
  // idle thread fewer (issue 17).
  take_signals();
  int received = 0;
  while ((received = wait_for_signal()) == SIGHUP) reload(global, options, monitor, http);
  log_info(std::string("received ") + (received == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
  http.stop();
  monitor.stop();
  return kExitOk;
}

}  // namespace

void add_serve_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto* cmd = app.add_subcommand(
      "serve",
      "Sample in the background and serve the live dashboard (/monitoring), the JSON API "
      "(/api/monitoring/...), WebSocket pushes and Prometheus /metrics; SIGHUP reloads the "
      "configuration");
  auto options = std::make_shared<ServeOptions>();
  cmd->add_option(
         "--bind", options->bind,
         "HOST:PORT to listen on (default: server.bind of the configuration, 127.0.0.1:9882); "
         "port 0 picks a free port")
      ->check([](const std::string& text) {
        try {
          server::parse_bind(text, "--bind");
          return std::string();
        } catch (const ConfigError& e) {
          const std::string message = e.what();  // CLI11 names the option itself
          return message.substr(message.find(": ") + 2);
        }
      });
  cmd->add_flag("--bench-prefill", options->prefill,
                "For benchmarks only: before serving, fill the whole window with real samples "
                "stamped at past "
                "grid points, so /history is full at once")
      ->group("Benchmarking");
  cmd->callback([&global, &action, options] {
    action = [&global, options] { return serve(global, *options); };
  });
}

}  // namespace resync::cli

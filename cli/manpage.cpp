// SPDX-License-Identifier: MIT
// The hidden `resync-mon manpage`: resync-mon(1) in roff, written from the CLI11 command tree at
// build time (cli/CMakeLists.txt), so the manual lists exactly the subcommands and options the
// binary has.
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "resync/views/json.hpp"

namespace resync::cli {
namespace {

// roff treats a leading '.' or '\'' as a request and '\' as an escape; '-' must be \- in options.
std::string roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::string options_of(const CLI::App& app) {
  std::string out;
  for (const CLI::Option* o : app.get_options()) {
    if (!o->nonpositional()) continue;
    std::string names;
    for (const std::string& s : o->get_snames()) names += (names.empty() ? "" : ", ") + ("-" + s);
    for (const std::string& l : o->get_lnames()) names += (names.empty() ? "" : ", ") + ("--" + l);
    out += ".TP\n.B " + roff(names) + "\n" + roff(o->get_description()) + "\n";
  }
  return out;
}

constexpr const char* kConfiguration = R"(.SH CONFIGURATION
A YAML (.yaml, .yml) or TOML (.toml) file given with \-\-config; without one, an embedded default
(the system collector, discovery on). The packaged service reads /etc/resync\-mon/resync\-mon.yaml.
Durations are strings like 500ms, 5s, 2h; ${NAME} takes the environment variable NAME
(${NAME:\-default} with a default). Top\-level keys:
.TP
.B interval, window
The sample grid (default 5s) and the rolling history (default 2h).
.TP
.B plugin_dir, state_file, state_save_interval, isolation
Where plugins are found; a file that keeps the window across restarts; how often it is saved;
in\-process or process isolation of collectors.
.TP
.B discover
true: at start, serve probes loopback (Redis, Prometheus text on port 8000 and others, an access
log, an HCL WA engine) and adds what needs no credentials; see \fBresync\-mon discover\fR.
.TP
.B server
bind (HOST:PORT, default 127.0.0.1:9882), auth ({token} or {user, password} or
{user, password_hash} with a crypt(3) hash from \fBresync\-mon hash\-password\fR),
tls ({cert_file, key_file}: PEM files; HTTPS and wss, TLS 1.2 or newer, re\-read on reload),
allowed_origins, allowed_hosts, cors_origins, max_ws_clients, threads,
max_connections_per_client, request_timeout.
.TP
.B collectors
A list of {plugin, name, timeout, isolation, ...the plugin's own keys}; \fBresync\-mon plugins\fR
lists the plugins, their series and options.
.TP
.B alerts
Rules {metric, above|below|at_least|at_most: {warning, critical}, for, clear, keep_firing_for,
guard}; they replace the plugins' default rules.
.TP
.B notify
Alertmanager and webhook receivers of alert transitions.
.PP
\fBresync\-mon config check FILE\fR validates a file; errors name the file, line and key.
)";

std::string render_manpage(const CLI::App& app) {
  std::string out = ".TH RESYNC\\-MON 1 \"\" \"resync-mon " + std::string(views::version()) +
                    "\" \"User Commands\"\n.SH NAME\nresync\\-mon \\- " +
                    roff("monitor a Resync deployment: sampler, alerts, dashboard and /metrics") +
                    "\n.SH SYNOPSIS\n.B resync\\-mon\n[\\-\\-config \\fIFILE\\fR] "
                    "\\fISUBCOMMAND\\fR [\\fIOPTIONS\\fR]\n.SH DESCRIPTION\n" +
                    roff(app.get_description()) + "\n.SH OPTIONS\n" + options_of(app) +
                    ".SH SUBCOMMANDS\n";
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_group().empty()) continue;  // hidden
    out += ".SS " + roff(sub->get_name()) + "\n" + roff(sub->get_description()) + "\n";
    for (const CLI::App* nested : sub->get_subcommands([](const CLI::App*) { return true; }))
      out += ".TP\n.B " + roff(nested->get_name()) + "\n" + roff(nested->get_description()) + "\n";
    out += options_of(*sub);
    if (!sub->get_footer().empty()) out += ".PP\n" + roff(sub->get_footer()) + "\n";
  }
  out += kConfiguration;
  out += ".SH EXIT STATUS\n.nf\n" + roff(kExitCodeHelp) + "\n.fi\n";
  out +=
      ".SH FILES\n.TP\n/etc/resync\\-mon/resync\\-mon.yaml\nThe service's configuration.\n"
      ".TP\n/etc/resync\\-mon/environment\nNAME=value lines for ${NAME} in it (secrets).\n"
      ".SH SIGNALS\nSIGINT and SIGTERM stop serve, saving the state file. SIGHUP makes serve "
      "reload its configuration (systemctl reload), keeping the window and the alert state; a "
      "file with an error is refused and the running configuration stays.\n"
      ".SH SEE ALSO\n/usr/share/doc/resync\\-mon/README.md\n";
  return out;
}

}  // namespace

void add_manpage_command(CLI::App& app, Action& action) {
  // No group: hidden from --help and from the completion scripts; the build calls it.
  auto* cmd = app.add_subcommand("manpage", "Print resync-mon(1) in roff (for the build)");
  cmd->group("");
  cmd->callback([&app, &action] {
    action = [&app] {
      const std::string text = render_manpage(app);
      std::fwrite(text.data(), 1, text.size(), stdout);
      return kExitOk;
    };
  });
}

}  // namespace resync::cli

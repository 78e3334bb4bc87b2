// SPDX-License-Identifier: MIT
// The toolkit against the real programs it serves: promtool and Prometheus read what `history
// --format openmetrics` wrote, a real Nagios 4 runs `check`, and `plan` meets the RSS of `serve`.
#include <Poco/URI.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "resync/state_file.hpp"
#include "run_cli.hpp"

namespace resync {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::run_cli;

std::string require(const std::string& program, const std::string& package) {
  const auto found = test::find_program(program);
  if (!found)
    ADD_FAILURE() << program << " not found: install the Debian package `" << package
                  << "` (scripts/deps --test)";
  return found.value_or("");
}

// A state file written by a real serve of the system collector, holding at least `samples`.
std::string record_state(const test::TempDir& dir, size_t samples) {
  const std::string state = dir.file("state");
  test::write_file(dir.file("resync.yaml"), "interval: 200ms\nwindow: 1m\nplugin_dir: \"" +
                                                test::plugin_build_dir() + "\"\nstate_file: \"" +
                                                state + "\"\ncollectors:\n  - plugin: system\n");
  test::ServeProcess serve(dir.file("resync.yaml"), dir.file("serve.log"));
  EXPECT_TRUE(serve.wait_for_samples(samples)) << test::read_file(dir.file("serve.log"));
  serve.process().signal(SIGTERM);
  EXPECT_EQ(serve.process().wait_exit(10s), std::optional<int>(0));
  return state;
}

TEST(PromtoolTest, BackfilledHistoryIsQueryableInARealPrometheus) {
  const std::string promtool = require("promtool", "prometheus"),
                    prometheus = require("prometheus", "prometheus");
  ASSERT_FALSE(promtool.empty() || prometheus.empty());
  test::TempDir dir;
  const std::string state = record_state(dir, 10);
  const auto saved = read_state_file(state);
  ASSERT_TRUE(saved && saved->rows.rows >= 5);

  const std::string om = dir.file("window.om");
  const test::RunResult r =
      run_cli({"history", "--state", state, "--format", "openmetrics", "--out", om});
  ASSERT_EQ(r.code, 0) << r.err;
  test::Process create(
      {promtool, "tsdb", "create-blocks-from", "openmetrics", om, dir.file("blocks")},
      dir.file("promtool.log"));
  ASSERT_EQ(create.wait_exit(60s), std::optional<int>(0))
      << test::read_file(dir.file("promtool.log"));
  const std::string log = test::read_file(dir.file("promtool.log"));
  EXPECT_THAT(log, testing::HasSubstr("BLOCK ULID"));

  test::write_file(dir.file("prometheus.yml"), "global: {scrape_interval: 1m}\n");
  const uint16_t port = test::free_port();
  test::Process prom({prometheus, "--config.file=" + dir.file("prometheus.yml"),
                      "--storage.tsdb.path=" + dir.file("blocks"),
                      "--web.listen-address=127.0.0.1:" + std::to_string(port),
                      "--storage.tsdb.retention.time=100y", "--log.level=warn"},
                     dir.file("prometheus.log"));
  ASSERT_TRUE(test::wait_for_port(port, 20s)) << test::read_file(dir.file("prometheus.log"));

  // A value resync-mon recorded, read back at its own timestamp: memory (%), and a ms series
  // that /metrics and OpenMetrics both give in seconds.
  const size_t row = saved->rows.rows / 2;
  const int64_t t = saved->rows.timestamps_ms[row];
  std::map<std::string, double> expected;
  for (size_t c = 0; c < saved->keys.size(); ++c) {
    if (saved->keys[c].metric == "host_memory_percent")
      expected["resync_mon_host_memory_percent"] = saved->rows.at(c, row);
    if (saved->keys[c].metric == "collector_duration_ms") {
      expected["resync_mon_collector_duration_seconds"] = saved->rows.at(c, row) / 1000;
    }
  }
  ASSERT_EQ(expected.size(), 2u);
  for (const auto& [name, value] : expected) {
    const std::string url = "http://127.0.0.1:" + std::to_string(port) +
                            "/api/v1/query?query=" + name + "&time=" + std::to_string(t / 1000) +
                            "." + std::to_string(1000 + t % 1000).substr(1);
    std::string body;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    std::smatch m;
    static const std::regex kValue(R"re("value":\[[0-9.]+,"([^"]+)"\])re");
    do {
      body = test::http_get(url).body;
      if (std::regex_search(body, m, kValue)) break;
      std::this_thread::sleep_for(250ms);
    } while (std::chrono::steady_clock::now() < deadline);
    ASSERT_TRUE(std::regex_search(body, m, kValue)) << name << ": " << body << "\n"
                                                    << test::read_file(dir.file("prometheus.log"));
    EXPECT_DOUBLE_EQ(std::stod(m[1]), value) << name;
    EXPECT_THAT(body, testing::HasSubstr(R"(":"system")"))
        << "the instance or collector label survives";
  }
}

// status.dat's servicestatus blocks: service description -> its key=value lines.
std::map<std::string, std::map<std::string, std::string>> service_status(const std::string& path) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::ifstream in(path);
  std::map<std::string, std::string> block;
  bool in_service = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("servicestatus {", 0) == 0) {
      in_service = true;
      block.clear();
    } else if (in_service && line.find('}') != std::string::npos &&
               line.find('=') == std::string::npos) {
      in_service = false;
      out[block["service_description"]] = block;
    } else if (in_service) {
      const size_t start = line.find_first_not_of(" \t"), eq = line.find('=');
      if (start != std::string::npos && eq != std::string::npos)
        block[line.substr(start, eq - start)] = line.substr(eq + 1);
    }
  }
  return out;
}

TEST(NagiosTest, RealNagiosRunsCheckAndRecordsStateAndPerfdata) {
  const std::string nagios = require("nagios4", "nagios4-core");
  ASSERT_FALSE(nagios.empty());
  test::TempDir dir;
  const std::string state = record_state(dir, 5);
  test::write_file(
      dir.file("serve.yaml"),
      "interval: 200ms\nwindow: 1m\nplugin_dir: \"" + test::plugin_build_dir() +
          "\"\nserver: {auth: {token: nagios-token}}\ncollectors:\n  - plugin: system\n");
  test::ServeProcess serve(dir.file("serve.yaml"), dir.file("live.log"));
  ASSERT_FALSE(serve.url().empty());
  ASSERT_TRUE(serve.wait_for_samples(2, {{"Authorization", "Bearer nagios-token"}}));
  const std::string bin = test::resync_binary();
  const std::string down = "http://127.0.0.1:" + std::to_string(test::free_port());
  // The verdicts a check gives, each from a source as Nagios users would point it.
  const std::map<std::string, std::pair<std::string, std::string>> services = {
      {"ok",
       {"0", bin + " check --url " + serve.url() +
                 " --token nagios-token -m host_memory_percent -w 100 -c 100"}},
      {"rules", {"0", bin + " check --url " + serve.url() + " --token nagios-token"}},
      {"warning",
       {"1", bin + " check --state " + state + " --max-age 1h -m host_memory_percent -w @0:100"}},
      {"critical",
       {"2",
        bin + " check --state " + state + " --max-age 1h -m host_memory_percent -w 100 -c @0:100"}},
      {"unknown", {"3", bin + " check --url " + down}},
  };
  std::string objects =
      "define timeperiod {\n timeperiod_name always\n alias always\n sunday 00:00-24:00\n monday "
      "00:00-24:00\n"
      " tuesday 00:00-24:00\n wednesday 00:00-24:00\n thursday 00:00-24:00\n friday 00:00-24:00\n"
      " saturday 00:00-24:00\n}\n"
      "define command {\n command_name notify_nobody\n command_line /bin/true\n}\n"
      "define contact {\n contact_name ops\n host_notification_period always\n "
      "service_notification_period always\n"
      " host_notification_options n\n service_notification_options n\n host_notification_commands "
      "notify_nobody\n"
      " service_notification_commands notify_nobody\n}\n"
      "define host {\n host_name resync\n address 127.0.0.1\n max_check_attempts 1\n check_period "
      "always\n"
      " notification_period always\n contacts ops\n}\n";
  for (const auto& [name, expected] : services) {
    objects += "define command {\n command_name resync_" + name + "\n command_line " +
               expected.second + "\n}\n";
    objects +=
        "define service {\n host_name resync\n service_description " + name +
        "\n check_command resync_" + name +
        "\n max_check_attempts 1\n check_interval 60\n retry_interval 1\n check_period always\n"
        " notification_period always\n contacts ops\n active_checks_enabled 1\n}\n";
  }
  test::write_file(dir.file("objects.cfg"), objects);
  fs::create_directory(dir.file("checkresults"));
  const std::string d = dir.path();
  test::write_file(
      dir.file("nagios.cfg"),
      "log_file=" + d + "/nagios.log\ncfg_file=" + d + "/objects.cfg\nobject_cache_file=" + d +
          "/objects.cache\nprecached_object_file=" + d + "/objects.precache\nstatus_file=" + d +
          "/status.dat\nstatus_update_interval=1\nnagios_user=root\nnagios_group=root\n"
          "check_external_commands=1\ncommand_file=" +
          d + "/nagios.cmd\nquery_socket=" + d + "/nagios.qh\nlock_file=" + d +
          "/nagios.lock\ntemp_file=" + d + "/nagios.tmp\ntemp_path=" + d + "\ncheck_result_path=" +
          d + "/checkresults\nretain_state_information=0\nstate_retention_file=" + d +
          "/retention.dat\nenable_notifications=0\nuse_syslog=0\nprocess_performance_data=1\n"
          "interval_length=60\nmax_concurrent_checks=4\n");
  test::Process verify({nagios, "-v", dir.file("nagios.cfg")}, dir.file("verify.log"));
  ASSERT_EQ(verify.wait_exit(30s), std::optional<int>(0))
      << test::read_file(dir.file("verify.log"));
  test::Process daemon({nagios, dir.file("nagios.cfg")}, dir.file("daemon.log"));
  const auto started = std::chrono::steady_clock::now();
  while (!fs::exists(dir.file("nagios.cmd")) && std::chrono::steady_clock::now() - started < 20s) {
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(fs::exists(dir.file("nagios.cmd"))) << test::read_file(dir.file("daemon.log"));
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  {
    std::ofstream cmd(dir.file("nagios.cmd"));
    for (const auto& [name, expected] : services) {
      cmd << "[" << now << "] SCHEDULE_FORCED_SVC_CHECK;resync;" << name << ";" << now << "\n";
    }
  }
  std::map<std::string, std::map<std::string, std::string>> status;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  auto all_checked = [&] {
    if (!fs::exists(dir.file("status.dat"))) return false;
    status = service_status(dir.file("status.dat"));
    for (const auto& [name, expected] : services) {
      if (status[name]["has_been_checked"] != "1") return false;
    }
    return true;
  };
  while (!all_checked() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(250ms);
  ASSERT_TRUE(all_checked()) << test::read_file(dir.file("nagios.log"));
  for (const auto& [name, expected] : services) {
    const auto& s = status[name];
    EXPECT_EQ(s.at("current_state"), expected.first) << name << ": " << s.at("plugin_output");
    EXPECT_EQ(s.at("plugin_output").substr(0, 11), "RESYNC-MON ") << name;
  }
  EXPECT_THAT(status["ok"]["plugin_output"],
              testing::StartsWith("RESYNC-MON OK - host_memory_percent is "));
  EXPECT_THAT(status["ok"]["performance_data"],
              testing::MatchesRegex("'host_memory_percent'=[0-9.]+%;100;100;0;100"));
  // The system plugin declares no default rule: the host's collector_up is the one in effect.
  EXPECT_THAT(status["rules"]["plugin_output"],
              testing::StartsWith("RESYNC-MON OK - no alert (1 rules, sample of "));
  EXPECT_THAT(status["warning"]["plugin_output"],
              testing::StartsWith("RESYNC-MON WARNING - host_memory_percent is "));
  EXPECT_THAT(status["warning"]["performance_data"],
              testing::MatchesRegex("'host_memory_percent'=[0-9.]+%;@0:100;;0;100"));
  EXPECT_THAT(status["critical"]["plugin_output"], testing::EndsWith("(outside -c @0:100)"));
  EXPECT_THAT(status["critical"]["performance_data"],
              testing::MatchesRegex("'host_memory_percent'=[0-9.]+%;100;@0:100;0;100"));
  EXPECT_EQ(status["unknown"]["plugin_output"],
            "RESYNC-MON UNKNOWN - " + down + "/api/monitoring/window: connection refused");
  EXPECT_EQ(status["unknown"]["performance_data"], "");
}

// A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"), or -1.
int64_t status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  return -1;
}

// plan's figure against the peak RSS of a real serve holding a full window of 100,000 samples
// (10 ms grid, filled at start by --bench-prefill), within the 20 % plan promises. The peak is
// VmHWM, the most the process ever held resident: each rendering of the whole window holds the
// store's copy, the cached document and the one being built at once, for a moment that a read of
// VmRSS catches or misses depending on how the machine schedules the two processes.
TEST(PlanTest, FigureMatchesTheRssOfAFullWindow) {
  test::TempDir dir;
  test::write_file(dir.file("resync.yaml"), "interval: 10ms\nwindow: 1000s\nplugin_dir: \"" +
                                                test::plugin_build_dir() +
                                                "\"\ncollectors:\n  - plugin: system\n");
  const test::RunResult plan = run_cli({"--config", dir.file("resync.yaml"), "plan"});
  ASSERT_EQ(plan.code, 0) << plan.err;
  std::smatch m;
  static const std::regex kTotal(R"(total +([0-9.]+) MiB)");
  ASSERT_TRUE(std::regex_search(plan.out, m, kTotal)) << plan.out;
  const double planned_mib = std::stod(m[1]);
  EXPECT_THAT(plan.out, testing::HasSubstr("100000 samples"));

  test::ServeProcess serve(dir.file("resync.yaml"), dir.file("serve.log"), {}, {"--bench-prefill"});
  ASSERT_FALSE(serve.url().empty());
  // Documents are rendered on demand: a dashboard asks for the whole window after every sample,
  // the case plan sizes for. Each request finds a new sample (10 ms grid) and renders anew.
  int64_t sampled = 0;
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(test::http_get(serve.url() + "/api/monitoring/history").status, 200);
    sampled = std::max(sampled, status_kib(serve.process().pid(), "VmRSS"));
  }
  const double peak_mib = static_cast<double>(status_kib(serve.process().pid(), "VmHWM")) / 1024;
  EXPECT_NEAR(planned_mib, peak_mib, planned_mib * 0.20) << plan.out;
  std::printf(
      "plan %.1f MiB, serve peak RSS (VmHWM) %.1f MiB, highest VmRSS read %.1f MiB, with a "
      "full 100,000-sample window\n",
      planned_mib, peak_mib, static_cast<double>(sampled) / 1024);
}

}  // namespace
}  // namespace resync

// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "plugin_host.hpp"
#include "resync/collector.hpp"
#include "test_support.hpp"

/// HTTP targets for the api and agents collector tests: a real nginx, and the misbehaving peers
/// nginx cannot play (a server that never answers, one that drops the connection mid-body).
namespace resync::test {

/// A listening socket on 127.0.0.1 that never accepts: the kernel completes the handshake, the
/// request is sent, and no byte ever comes back. Closed on destruction.
class Blackhole {
 public:
  Blackhole();
  ~Blackhole();
  Blackhole(const Blackhole&) = delete;
  Blackhole& operator=(const Blackhole&) = delete;
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

/// Answers every connection with a 200 whose body is cut short, then closes: either a
/// Content-Length larger than what is sent, or a chunked body without its last chunk. The body
/// sent is valid Prometheus text and JSON up to the cut, so only the HTTP layer can tell.
/// Thread-safe: its thread is joined on destruction.
class TruncatingServer {
 public:
  enum class Mode { kContentLength, kChunked };
  explicit TruncatingServer(Mode mode);
  ~TruncatingServer();
  TruncatingServer(const TruncatingServer&) = delete;
  TruncatingServer& operator=(const TruncatingServer&) = delete;
  std::string url(const std::string& path = "/metrics") const;

 private:
  void serve();

  Mode mode_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// Debian's nginx on a free loopback port with everything (config, logs, pid, temp files, web
/// root) in a temporary prefix, stopped by PID on destruction. The access log ends each line
/// with $request_time. Locations: /ok (200), /fail (503), /slow (504 after 200 ms: proxied to
/// a Blackhole), /close (connection closed without a response), /drip/ (1 KB/s), /private/ (401
/// unless "Authorization: Bearer s3cret"), and static files from www/ (see write_www()). Throws
/// std::runtime_error when nginx is missing.
class Nginx {
 public:
  Nginx();
  ~Nginx();
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;

  uint16_t port() const { return port_; }
  std::string url(const std::string& path) const;
  /// The access log nginx writes, <prefix>/access.log.
  std::string access_log() const { return dir_.file("access.log"); }
  std::string prefix() const { return dir_.path(); }
  /// Writes <prefix>/www/<name> (readable by nginx's worker).
  void write_www(const std::string& name, const std::string& content) const;
  /// SIGUSR1: nginx reopens its log files, as logrotate's postrotate does.
  void reopen_logs();

 private:
  TempDir dir_;
  Blackhole upstream_;
  uint16_t port_ = 0;
  std::unique_ptr<Process> process_;
};

/// Records what a collector emits.
class Values final : public SampleSink {
 public:
  void emit(std::string_view metric, double value) override { values[std::string(metric)] = value; }
  /// The value of `metric`; throws std::out_of_range naming it when it was not emitted.
  double at(const std::string& metric) const;
  std::map<std::string, double> values;
};

/// `text` as a JSON string literal, quotes included.
std::string json_string(const std::string& text);

/// Loads build/plugins/<name>.so through the real loader.
std::shared_ptr<const Plugin> load_built_plugin(const std::string& name);

/// The options JSON the host would pass instance `name`: host keys plus `fields` (JSON members).
std::string plugin_options(const std::string& name, const std::string& fields,
                           int timeout_ms = 2000);

/// The message create() fails with for `json` on `plugin`, or "" if it succeeds.
std::string create_error(const std::shared_ptr<const Plugin>& plugin, const std::string& json);
/// The same for build/plugins/<plugin>.so.
inline std::string create_error(const std::string& plugin, const std::string& json) {
  return create_error(load_built_plugin(plugin), json);
}

/// Collects once into a fresh Values.
Values collect_once(Collector& collector);

}  // namespace resync::test

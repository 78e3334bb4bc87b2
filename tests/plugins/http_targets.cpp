// SPDX-License-Identifier: MIT
#include "http_targets.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "resync/error.hpp"

namespace resync::test {
namespace {

// A socket bound to 127.0.0.1 on a kernel-chosen port and listening; returns the fd.
int listen_loopback(uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error(std::string("cannot listen on 127.0.0.1: ") + std::strerror(errno));
  }
  port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

Blackhole::Blackhole() { fd_ = listen_loopback(port_); }
Blackhole::~Blackhole() { ::close(fd_); }

TruncatingServer::TruncatingServer(Mode mode) : mode_(mode) {
  fd_ = listen_loopback(port_);
  thread_ = std::thread([this] { serve(); });
}

TruncatingServer::~TruncatingServer() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

std::string TruncatingServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void TruncatingServer::serve() {
  // Complete lines up to the cut: a parser alone would take this for a whole (smaller) document.
  const std::string part = "resync_agent_active_count 3\nhttp_requests_total{status=\"200\"} 12";
  const std::string head =
      mode_ == Mode::kContentLength
          ? "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4096\r\n\r\n" + part
          : "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: "
            "chunked\r\n\r\n1000\r\n" +
                part;
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    char request[4096];
    pollfd c{client, POLLIN, 0};
    if (::poll(&c, 1, 2000) > 0) (void)::recv(client, request, sizeof request, 0);
    (void)::send(client, head.data(), head.size(), MSG_NOSIGNAL);
    ::close(client);
  }
}

Nginx::Nginx() : dir_("resync-nginx") {
  const auto nginx = find_program("nginx");
  if (!nginx)
    throw std::runtime_error(
        "nginx not found in PATH or /usr/sbin; install it with scripts/deps --test");
  port_ = free_port();
  // nginx's workers run as an unprivileged user when the test runs as root: let them in.
  ::chmod(dir_.path().c_str(), 0755);
  ::mkdir(dir_.file("www").c_str(), 0755);
  ::mkdir(dir_.file("www/drip").c_str(), 0755);
  ::mkdir(dir_.file("www/private").c_str(), 0755);
  ::mkdir(dir_.file("tmp").c_str(), 0755);
  write_www("drip/big.txt", std::string(256 * 1024, 'x'));
  const std::string d = dir_.path();
  const std::string config =
      "worker_processes 1;\n"
      "daemon off;\n"
      "master_process on;\n"
      "pid " +
      d +
      "/nginx.pid;\n"
      "error_log " +
      d +
      "/error.log warn;\n"
      "events { worker_connections 256; }\n"
      "http {\n"
      "  default_type text/plain;\n"
      "  client_body_temp_path " +
      d +
      "/tmp/body;\n"
      "  proxy_temp_path " +
      d +
      "/tmp/proxy;\n"
      "  fastcgi_temp_path " +
      d +
      "/tmp/fastcgi;\n"
      "  uwsgi_temp_path " +
      d +
      "/tmp/uwsgi;\n"
      "  scgi_temp_path " +
      d +
      "/tmp/scgi;\n"
      "  log_format timed '$remote_addr - $remote_user [$time_local] \"$request\" $status "
      "$body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_time';\n"
      "  server {\n"
      "    listen 127.0.0.1:" +
      std::to_string(port_) +
      ";\n"
      "    root " +
      d +
      "/www;\n"
      "    access_log " +
      d +
      "/access.log timed;\n"
      "    location = /ok { return 200 \"ok\\n\"; }\n"
      "    location = /fail { return 503; }\n"
      "    location = /close { return 444; }\n"
      "    location = /slow {\n"
      "      proxy_pass http://127.0.0.1:" +
      std::to_string(upstream_.port()) +
      ";\n"
      "      proxy_connect_timeout 200ms;\n"
      "      proxy_send_timeout 200ms;\n"
      "      proxy_read_timeout 200ms;\n"
      "    }\n"
      "    location /drip/ { limit_rate 1k; }\n"
      "    location /private/ { if ($http_authorization != \"Bearer s3cret\") { return 401; } }\n"
      "  }\n"
      "}\n";
  write_file(dir_.file("nginx.conf"), config);
  process_ = std::make_unique<Process>(
      std::vector<std::string>{*nginx, "-p", d, "-e", d + "/error.log", "-c", d + "/nginx.conf"},
      d + "/stdout.log");
  if (!wait_for_port(port_)) {
    std::string log;
    try {
      log = read_file(d + "/error.log");
    } catch (const std::exception&) {
    }
    throw std::runtime_error("nginx did not listen on port " + std::to_string(port_) + ": " + log);
  }
}

Nginx::~Nginx() { process_.reset(); }

std::string Nginx::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void Nginx::write_www(const std::string& name, const std::string& content) const {
  const std::string path = dir_.file("www/" + name);
  const std::string temp = path + ".tmp";
  write_file(temp, content);
  ::chmod(temp.c_str(), 0644);
  // Atomic replace: nginx never serves half a file.
  if (::rename(temp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot write " + path);
}

void Nginx::reopen_logs() { process_->signal(SIGUSR1); }

double Values::at(const std::string& metric) const {
  auto it = values.find(metric);
  if (it == values.end()) throw std::out_of_range(metric + " was not emitted");
  return it->second;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::shared_ptr<const Plugin> load_built_plugin(const std::string& name) {
  return Plugin::load(plugin_build_dir() + "/" + name + ".so");
}

std::string plugin_options(const std::string& name, const std::string& fields, int timeout_ms) {
  return "{\"name\":\"" + name +
         "\",\"interval_ms\":5000,\"timeout_ms\":" + std::to_string(timeout_ms) + "," + fields +
         "}";
}

std::string create_error(const std::shared_ptr<const Plugin>& plugin, const std::string& json) {
  try {
    PluginCollector c(plugin, json);
  } catch (const PluginLoadError& e) {
    return e.what();
  }
  return "";
}

Values collect_once(Collector& collector) {
  Values v;
  collector.collect(v);
  return v;
}

}  // namespace resync::test

// SPDX-License-Identifier: MIT
// server.tls across SIGHUP in the real `resync-mon serve`, as an operator renews a certificate
// (issue 18): the files are read again on reload, so new connections get the new certificate
// while open ones, a WebSocket among them, keep theirs and the window goes on; files that do not
// load refuse the whole reload and the running certificate stays; turning TLS on or off waits for
// a restart. The first test is also issue 18's "curl --cacert reaches the HTTPS dashboard with a
// hashed password", with the hash and the certificate both read from the configuration file.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <memory>
#include <string>

#include "run_cli.hpp"
#include "test_support.hpp"
#include "tls_support.hpp"
#include "ws_frame.hpp"

namespace resync {
namespace {

using test::Ran;
using test::TempDir;
using testing::HasSubstr;
using testing::Not;

const std::string kPassword = "renew me";
const std::string kCredentials = " -u 'ops:" + kPassword + "'";
constexpr const char* kBasicHeader = "Authorization: Basic b3BzOnJlbmV3IG1l\r\n";  // ops:renew me

// Fixture collector `a` at 200 ms in a 1 min window (so its first sample stays in the window for
// the whole test), with `server` (a `server:` block or nothing) and more `collectors`.
void write_config(const std::string& path, const std::string& server,
                  const std::string& collectors = "") {
  test::write_file(path, "interval: 200ms\nwindow: 1m\nplugin_dir: \"" RESYNC_FIXTURE_DIR "\"\n" +
                             server + "collectors:\n  - {plugin: fixture, name: a}\n" + collectors);
}

std::string tls_yaml(const std::string& cert, const std::string& key) {
  return "server:\n  tls: {cert_file: \"" + cert + "\", key_file: \"" + key + "\"}\n";
}

void copy_over(const std::string& from, const std::string& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

// curl's body, then a line with the HTTP status; `status` is curl's exit code (60: the
// server's certificate did not verify).
Ran curl(const std::string& args, const std::string& url) {
  return test::run("curl -sS --max-time 20 -w '\\n%{http_code}' " + args + " " + url);
}

int http_status(const Ran& r) {
  return r.status == 0 ? std::stoi(r.output.substr(r.output.rfind('\n') + 1)) : -1;
}

Poco::JSON::Object::Ptr json_of(const Ran& r) {
  if (http_status(r) != 200) return nullptr;
  Poco::JSON::Parser parser;
  return parser.parse(r.output.substr(0, r.output.rfind('\n'))).extract<Poco::JSON::Object::Ptr>();
}

uint16_t port_of(const std::string& url) {
  return static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

// One request on an open TLS connection, answered with Content-Length (keep-alive).
std::string get(test::TlsClient& client, const std::string& path) {
  client.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  return client.read_until([](const std::string& r) {
    const size_t end = r.find("\r\n\r\n");
    const size_t length = r.find("Content-Length: ");
    return end != std::string::npos && length != std::string::npos &&
           r.size() >= end + 4 + std::stoul(r.substr(length + 16));
  });
}

// A wss client on its own TLS session: the upgrade, then the pushed documents one by one.
class TlsWebSocket {
 public:
  TlsWebSocket(uint16_t port, const std::string& ca) : client_(port, ca) {}
  // The upgrade's status line.
  std::string upgrade(const std::string& extra_headers) {
    client_.write(
        "GET /api/monitoring/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n" +
        extra_headers + "\r\n");
    in_ = client_.read_until(
        [](const std::string& r) { return r.find("\r\n\r\n") != std::string::npos; });
    const std::string status = in_.substr(0, in_.find("\r\n"));
    in_.erase(0, in_.find("\r\n\r\n") + 4);
    return status;
  }
  // The next text frame's payload; "" when the server closed or went silent for 10 s.
  std::string next() {
    for (;;) {
      const auto frame = server::detail::decode_ws_frame_header(in_);
      if (frame && in_.size() >= frame->header_size + frame->payload_size) {
        std::string payload = in_.substr(frame->header_size, frame->payload_size);
        in_.erase(0, frame->header_size + frame->payload_size);
        if (frame->opcode == server::detail::kWsText) return payload;
        if (frame->opcode == server::detail::kWsClose) return "";
      } else if (!client_.read_some(in_)) {
        return "";
      }
    }
  }
  std::string peer_subject() const { return client_.peer_subject(); }

 private:
  test::TlsClient client_;
  std::string in_;
};

class TlsReloadCliTest : public testing::Test {
 protected:
  void SetUp() override {
    renewal.issue("renewed", "renewed.localhost");
    copy_over(first.cert(), cert);
    copy_over(first.key(), key);
    // Either CA verifies the server, for the reads that do not care which certificate it has.
    test::write_file(cas, test::read_file(first.ca()) + test::read_file(renewal.ca()));
  }

  void start(const std::string& server) {
    write_config(config, server);
    serve = std::make_unique<test::ServeProcess>(config, log);
    ASSERT_EQ(serve->url().rfind("https://", 0), 0u) << test::read_file(log);
    ASSERT_TRUE(test::eventually([&] {
      const auto h = health();
      return h && h->getValue<uint64_t>("samples_collected") >= 3;
    })) << test::read_file(log);
  }
  void reload() { serve->process().signal(SIGHUP); }

  Poco::JSON::Object::Ptr health() const {
    return json_of(curl("--cacert " + cas + auth, serve->url() + "/api/monitoring/health"));
  }
  // config.reloads or config.reload_failures of /api/monitoring/health; 0 when it did not answer.
  uint64_t count(const char* field) const {
    const auto h = health();
    return h ? h->getObject("config")->getValue<uint64_t>(field) : 0;
  }
  // The subject of the certificate a new connection gets, verified by `ca`, or why it failed.
  std::string subject(const std::string& ca) const {
    try {
      return test::TlsClient(port_of(serve->url()), ca).peer_subject();
    } catch (const std::exception& e) {
      return e.what();
    }
  }

  TempDir dir;
  test::TestPki first;    // CA A and the certificate the server starts with: /CN=localhost
  test::TestPki renewal;  // CA B and renewed.pem: /CN=renewed.localhost
  const std::string config = dir.file("resync.yaml"), log = dir.file("serve.log");
  const std::string cert = dir.file("tls.pem"), key = dir.file("tls.key"),
                    cas = dir.file("cas.pem");
  std::string auth;  // curl's credentials when the configuration asks for them
  std::unique_ptr<test::ServeProcess> serve;
};

TEST_F(TlsReloadCliTest, RenewedFilesServeNewConnectionsAfterSighupOpenOnesAndTheWindowStay) {
  const Ran hashed =
      test::run("printf '%s\\n' '" + kPassword + "' | " + test::resync_binary() + " hash-password");
  ASSERT_EQ(hashed.status, 0) << hashed.output;
  const std::string hash = hashed.output.substr(0, hashed.output.find('\n'));
  auth = kCredentials;
  start(tls_yaml(cert, key) + "  auth: {user: ops, password_hash: \"" + hash + "\"}\n");
  const std::string current = serve->url() + "/api/monitoring/current";
  // Issue 18's "Done when": curl --cacert with the hashed password's user, and 401 without.
  EXPECT_EQ(http_status(curl("--cacert " + first.ca() + auth, current)), 200);
  EXPECT_EQ(http_status(curl("--cacert " + first.ca(), current)), 401);

  test::TlsClient kept(port_of(serve->url()), first.ca());
  ASSERT_EQ(get(kept, "/health").rfind("HTTP/1.1 200", 0), 0u);
  TlsWebSocket ws(port_of(serve->url()), first.ca());
  ASSERT_EQ(ws.upgrade(kBasicHeader), "HTTP/1.1 101 Switching Protocols");
  ASSERT_THAT(ws.next(), HasSubstr("\"collectors\""));
  const std::string history = serve->url() + "/api/monitoring/history?minutes=1";
  const auto before = json_of(curl("--cacert " + cas + auth, history));
  ASSERT_TRUE(before);

  copy_over(renewal.cert("renewed"), cert);
  copy_over(renewal.key("renewed"), key);
  reload();
  // config.reloads counts the monitor's part; the server swaps its certificate just after, and
  // logs it.
  ASSERT_TRUE(test::eventually([&] {
    return test::read_file(log).find("renewed.localhost from " + cert + ", valid until") !=
           std::string::npos;
  })) << test::read_file(log);
  EXPECT_EQ(count("reloads"), 1u);
  EXPECT_EQ(subject(renewal.ca()), "/CN=renewed.localhost");
  EXPECT_EQ(http_status(curl("--cacert " + renewal.ca() + auth, current)), 200);
  EXPECT_EQ(http_status(curl("--cacert " + renewal.ca(), current)), 401);
  EXPECT_EQ(curl("--cacert " + first.ca() + auth, current).status, 60);  // A no longer verifies
  // Opened before the reload: still on the old certificate, still answered and pushed to.
  EXPECT_EQ(get(kept, "/health").rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(kept.peer_subject(), "/CN=localhost");
  EXPECT_THAT(ws.next(), HasSubstr("\"collectors\""));
  EXPECT_EQ(ws.peer_subject(), "/CN=localhost");
  // The window goes on: more samples come after the same first one.
  Poco::JSON::Object::Ptr after;
  ASSERT_TRUE(test::eventually([&] {
    after = json_of(curl("--cacert " + cas + auth, history));
    return after &&
           after->getValue<uint64_t>("sample_count") > before->getValue<uint64_t>("sample_count");
  })) << test::read_file(log);
  EXPECT_EQ(after->getArray("epoch")->getElement<int64_t>(0),
            before->getArray("epoch")->getElement<int64_t>(0));
  EXPECT_EQ(count("reload_failures"), 0u);
  EXPECT_THAT(test::read_file(log), Not(HasSubstr(kPassword)));
  EXPECT_EQ(serve->process().stop(), 0);
}

// Everything is checked before anything changes: a collector added in the same file is not
// added either. Once the files load again, the next reload takes the whole file.
TEST_F(TlsReloadCliTest, FilesThatDoNotLoadRefuseTheReloadAndTheRunningCertificateStays) {
  start(tls_yaml(cert, key));
  write_config(config, tls_yaml(cert, key), "  - {plugin: fixture, name: b}\n");

  copy_over(renewal.key("renewed"), key);  // not the key of the certificate in `cert`
  reload();
  ASSERT_TRUE(test::eventually([&] { return count("reload_failures") == 1; }))
      << test::read_file(log);
  EXPECT_THAT(test::read_file(log),
              HasSubstr("reload refused, the running configuration stays: " + config +
                        ": server.tls.key_file: \"" + key + "\" does not match the certificate"));
  EXPECT_EQ(subject(first.ca()), "/CN=localhost");

  copy_over(first.key(), key);
  std::filesystem::remove(cert);
  reload();
  ASSERT_TRUE(test::eventually([&] { return count("reload_failures") == 2; }))
      << test::read_file(log);
  const auto refused = health();
  ASSERT_TRUE(refused);
  EXPECT_THAT(refused->getObject("config")->getValue<std::string>("last_reload_error"),
              HasSubstr("server.tls.cert_file: cannot read \"" + cert + "\""));
  EXPECT_EQ(refused->getObject("config")->getValue<uint64_t>("reloads"), 0u);
  EXPECT_FALSE(refused->getObject("collectors")->has("b"));
  EXPECT_EQ(subject(first.ca()), "/CN=localhost");

  copy_over(first.cert(), cert);
  reload();
  ASSERT_TRUE(test::eventually([&] { return count("reloads") == 1; })) << test::read_file(log);
  EXPECT_TRUE(health()->getObject("collectors")->has("b"));
  EXPECT_EQ(subject(first.ca()), "/CN=localhost");
  EXPECT_EQ(serve->process().stop(), 0);
}

// The listening port speaks TLS or not from the start: a reload that changes that applies the
// rest of the file, says a restart is needed, and the port goes on as it was.
TEST_F(TlsReloadCliTest, TurningTlsOffOrOnWaitsForARestart) {
  start(tls_yaml(cert, key));
  write_config(config, "", "  - {plugin: fixture, name: b}\n");
  reload();
  ASSERT_TRUE(test::eventually([&] { return count("reloads") == 1; })) << test::read_file(log);
  EXPECT_THAT(test::read_file(log), HasSubstr("reload: server.tls changed, which needs a restart"));
  EXPECT_TRUE(health()->getObject("collectors")->has("b"));
  EXPECT_EQ(subject(first.ca()), "/CN=localhost");
  EXPECT_EQ(serve->process().stop(), 0);

  const std::string plain_log = dir.file("plain.log");
  write_config(config, "");
  test::ServeProcess plain(config, plain_log);
  ASSERT_EQ(plain.url().rfind("http://", 0), 0u) << test::read_file(plain_log);
  write_config(config, tls_yaml(cert, key), "  - {plugin: fixture, name: b}\n");
  plain.process().signal(SIGHUP);
  ASSERT_TRUE(test::eventually([&] {
    return test::read_file(plain_log).find("reload: server.tls changed, which needs a restart") !=
           std::string::npos;
  })) << test::read_file(plain_log);
  const test::HttpResult h = test::http_get(plain.url() + "/api/monitoring/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_THAT(h.body, testing::AllOf(HasSubstr("\"reloads\":1"), HasSubstr("\"b\":{")));
  EXPECT_EQ(plain.process().stop(), 0);
}

}  // namespace
}  // namespace resync

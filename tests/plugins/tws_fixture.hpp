// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace Poco::Net {
class HTTPServer;
}
namespace Poco {
class ThreadPool;
}

/// A stand-in for an HCL Workload Automation engine: an HTTPS server on 127.0.0.1 answering
/// the two REST API V2 calls the tws collector makes, with bodies from tests/data/tws/.
namespace resync::test {

/// PEM files of a throw-away PKI: a self-signed CA and a server certificate for 127.0.0.1 and
/// localhost signed by it.
struct TestPki {
  std::string ca_cert;
  std::string server_cert;
  std::string server_key;
};

/// Creates a TestPki in `dir` with the `openssl` command. Throws std::runtime_error naming the
/// step that failed, or saying openssl is missing (scripts/deps --test installs it).
TestPki make_test_pki(const std::string& dir);

/// What the fixture answers.
enum class TwsMode {
  kNormal,            ///< engine/info and plan/job/count from tests/data/tws/, after auth
  kUnauthorized,      ///< 401 with HCL's JSON error body to every request
  kForbidden,         ///< 403 to every request
  kStall,             ///< accepts, then answers nothing until the mode changes or it stops
  kCloseMidResponse,  ///< announces a body, sends part of it and closes the connection
};

/// Thread-safe: the setters and counters may be called while requests are served.
class TwsFixture {
 public:
  /// Serves `pki`'s server certificate on 127.0.0.1:`port` (0 = any free port) and accepts
  /// Basic `user`:`password` or, when `api_key` is set, "Authorization: Bearer <api_key>".
  TwsFixture(const TestPki& pki, std::string user, std::string password, std::string api_key = "",
             uint16_t port = 0);
  ~TwsFixture();
  TwsFixture(const TwsFixture&) = delete;
  TwsFixture& operator=(const TwsFixture&) = delete;

  uint16_t port() const { return port_; }
  /// "https://127.0.0.1:<port>".
  std::string url() const;

  void set_mode(TwsMode mode);
  /// Serves tests/data/tws/<file> for plan/job/count from now on.
  void set_job_count_file(const std::string& file);

  /// Stops listening (the engine is down); start() listens again on the same port.
  void stop();
  void start();

  /// Requests received for `path` (e.g. "/twsd/api/v2/engine/info") since construction.
  int requests(const std::string& path) const;
  /// Raw request URI (path and query, as sent) of the last plan/job/count request.
  std::string last_job_count_uri() const;

  /// Called by the request handlers; not for tests.
  struct State;

 private:
  std::shared_ptr<State> state_;
  TestPki pki_;
  uint16_t port_ = 0;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace resync::test

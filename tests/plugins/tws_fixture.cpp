// SPDX-License-Identifier: MIT
#include "tws_fixture.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <chrono>
#include <stdexcept>
#include <vector>

#include "test_support.hpp"

namespace resync::test {
namespace {

constexpr const char* kInfoPath = "/twsd/api/v2/engine/info";
constexpr const char* kJobCountPath = "/twsd/api/v2/plan/job/count";
// A stalled request is released at the latest after this, so a forgotten stall cannot hang a test.
constexpr auto kMaxStall = std::chrono::seconds{10};

void run_openssl(const std::vector<std::string>& args, const std::string& dir,
                 const std::string& step) {
  if (!find_program("openssl")) {
    throw std::runtime_error("openssl not found in PATH; install it with scripts/deps --test");
  }
  std::vector<std::string> argv{"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = dir + "/openssl.log";
  Process p(argv, log);
  const auto code = p.wait_exit(std::chrono::seconds{30});
  if (!code || *code != 0) {
    std::string output;
    try {
      output = read_file(log);
    } catch (...) {
    }
    throw std::runtime_error("openssl " + step + " failed (exit " +
                             (code ? std::to_string(*code) : "timeout") + "): " + output);
  }
}

}  // namespace

TestPki make_test_pki(const std::string& dir) {
  TestPki pki{dir + "/ca.pem", dir + "/server.pem", dir + "/server.key"};
  const std::string ca_key = dir + "/ca.key", csr = dir + "/server.csr", ext = dir + "/server.ext";
  // EC keys: generating them takes milliseconds where RSA keys take a noticeable share of a second.
  run_openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
               "-nodes", "-keyout", ca_key, "-out", pki.ca_cert, "-days", "2", "-subj",
               "/CN=resync-mon test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
               "keyUsage=critical,keyCertSign,cRLSign"},
              dir, "CA certificate");
  run_openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
               "-keyout", pki.server_key, "-out", csr, "-subj", "/CN=127.0.0.1"},
              dir, "server key");
  write_file(ext,
             "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
             "basicConstraints=CA:FALSE\n"
             "keyUsage=digitalSignature,keyEncipherment\n"
             "extendedKeyUsage=serverAuth\n");
  run_openssl({"x509", "-req", "-in", csr, "-CA", pki.ca_cert, "-CAkey", ca_key, "-CAcreateserial",
               "-out", pki.server_cert, "-days", "2", "-extfile", ext},
              dir, "server certificate");
  return pki;
}

struct TwsFixture::State {
  std::string user, password, api_key;
  mutable std::mutex mutex;
  std::condition_variable changed;
  TwsMode mode = TwsMode::kNormal;
  bool stopping = false;
  std::string job_count_file = "plan_job_count.json";
  std::map<std::string, int> requests;
  std::string last_job_count_uri;
};

namespace {

void send_json(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
               const std::string& body) {
  response.setStatus(status);
  response.setContentType("application/json");
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  response.send() << body;
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<TwsFixture::State> state) : state_(std::move(state)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    const Poco::URI uri(request.getURI());
    const std::string path = uri.getPath();
    TwsMode mode;
    {
      std::unique_lock lock(state_->mutex);
      ++state_->requests[path];
      if (path == kJobCountPath) state_->last_job_count_uri = request.getURI();
      if (state_->mode == TwsMode::kStall) {
        state_->changed.wait_for(lock, kMaxStall, [this] {
          return state_->stopping || state_->mode != TwsMode::kStall;
        });
        if (state_->stopping) return;
      }
      mode = state_->mode;
    }
    response.setKeepAlive(false);
    switch (mode) {
      case TwsMode::kUnauthorized:
        return send_json(response, Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED,
                         read_data("unauthorized.json"));
      case TwsMode::kForbidden:
        return send_json(response, Poco::Net::HTTPResponse::HTTP_FORBIDDEN,
                         read_data("forbidden.json"));
      default:
        break;
    }
    if (!authorized(request)) {
      response.set("WWW-Authenticate", "Basic realm=\"defaultRealm\"");
      return send_json(response, Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED,
                       read_data("unauthorized.json"));
    }
    std::string body;
    if (path == kInfoPath) {
      body = read_data("engine_info.json");
    } else if (path == kJobCountPath) {
      // The collector must ask for the whole plan grouped by status (SPEC section 4).
      const auto params = uri.getQueryParameters();
      std::map<std::string, std::string> query(params.begin(), params.end());
      if (query["plan_filter"].empty() || query["grouping_filters"] != "status") {
        return send_json(response, Poco::Net::HTTPResponse::HTTP_BAD_REQUEST,
                         read_data("bad_request.json"));
      }
      std::lock_guard lock(state_->mutex);
      body = read_data(state_->job_count_file);
    } else {
      return send_json(response, Poco::Net::HTTPResponse::HTTP_NOT_FOUND,
                       "{\"message\":\"not found\"}");
    }
    if (mode == TwsMode::kCloseMidResponse) {
      response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
      response.setContentType("application/json");
      response.setContentLength(static_cast<std::streamsize>(body.size()));
      std::ostream& out = response.send();
      out << body.substr(0, body.size() / 3);
      out.flush();
      // Returning with the announced length unsent ends the connection mid-body.
      return;
    }
    send_json(response, Poco::Net::HTTPResponse::HTTP_OK, body);
  }

 private:
  static std::string read_data(const std::string& file) {
    return read_file(test_data_dir() + "/tws/" + file);
  }

  bool authorized(const Poco::Net::HTTPServerRequest& request) const {
    if (!request.has("Authorization")) return false;
    if (!state_->api_key.empty())
      return request.get("Authorization") == "Bearer " + state_->api_key;
    try {
      const Poco::Net::HTTPBasicCredentials credentials(request);
      return credentials.getUsername() == state_->user &&
             credentials.getPassword() == state_->password;
    } catch (const Poco::Exception&) {
      return false;
    }
  }

  std::shared_ptr<TwsFixture::State> state_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<TwsFixture::State> state) : state_(std::move(state)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(state_);
  }

 private:
  std::shared_ptr<TwsFixture::State> state_;
};

}  // namespace

TwsFixture::TwsFixture(const TestPki& pki, std::string user, std::string password,
                       std::string api_key, uint16_t port)
    : state_(std::make_shared<State>()), pki_(pki), port_(port) {
  Poco::Net::initializeSSL();
  state_->user = std::move(user);
  state_->password = std::move(password);
  state_->api_key = std::move(api_key);
  start();
}

TwsFixture::~TwsFixture() {
  stop();
  Poco::Net::uninitializeSSL();
}

std::string TwsFixture::url() const { return "https://127.0.0.1:" + std::to_string(port_); }

void TwsFixture::set_mode(TwsMode mode) {
  {
    std::lock_guard lock(state_->mutex);
    state_->mode = mode;
  }
  state_->changed.notify_all();
}

void TwsFixture::set_job_count_file(const std::string& file) {
  std::lock_guard lock(state_->mutex);
  state_->job_count_file = file;
}

void TwsFixture::start() {
  if (server_) return;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = false;
  }
  Poco::Net::Context::Ptr context(new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE,
                                                         pki_.server_key, pki_.server_cert, "",
                                                         Poco::Net::Context::VERIFY_NONE));
  Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", port_), 64, context);
  port_ = socket.address().port();
  // An idle time of 1 s keeps stop() near a second (BUILD-NOTES: the default is 10 s).
  pool_ = std::make_unique<Poco::ThreadPool>(2, 16, 1);
  auto params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(16);
  params->setKeepAlive(false);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), *pool_, socket, params);
  server_->start();
}

void TwsFixture::stop() {
  if (!server_) return;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->changed.notify_all();
  server_->stopAll(true);
  server_.reset();
  pool_->joinAll();
  pool_.reset();
}

int TwsFixture::requests(const std::string& path) const {
  std::lock_guard lock(state_->mutex);
  const auto it = state_->requests.find(path);
  return it == state_->requests.end() ? 0 : it->second;
}

std::string TwsFixture::last_job_count_uri() const {
  std::lock_guard lock(state_->mutex);
  return state_->last_job_count_uri;
}

}  // namespace resync::test

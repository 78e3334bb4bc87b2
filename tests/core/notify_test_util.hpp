// SPDX-License-Identifier: MIT
// What the notifier tests share: a webhook receiver on loopback, a polling helper, one series and
// one rule. Header-only: each notify test file is one translation unit of notify_test.
#pragma once

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "alertmanager.hpp"
#include "http_targets.hpp"
#include "resync/monitor.hpp"
#include "resync/notify.hpp"
#include "resync/util/wall_clock.hpp"
#include "scripted_collector.hpp"
#include "test_support.hpp"

namespace resync::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline Poco::Dynamic::Var parse_json(const std::string& text) {
  return Poco::JSON::Parser().parse(text);
}

/// A webhook receiver on 127.0.0.1: answers `status_of(n)` to its n-th request (1-based) and
/// records the bodies of those it answered 2xx. Thread-safe.
class Receiver {
 public:
  explicit Receiver(std::function<int(int)> status_of)
      : status_of_(std::move(status_of)), socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket_, params);
    server_->start();
  }
  ~Receiver() { server_->stopAll(true); }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/hook";
  }
  std::vector<std::string> accepted() const {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  int requests() const { return requests_.load(); }
  std::string content_type() const {
    std::lock_guard lock(mutex_);
    return content_type_;
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(Receiver& r) : r_(r) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      std::string body;
      Poco::StreamCopier::copyToString(request.stream(), body);
      const int status = r_.status_of_(++r_.requests_);
      if (status >= 200 && status < 300) {
        std::lock_guard lock(r_.mutex_);
        r_.accepted_.push_back(body);
        r_.content_type_ = request.getContentType();
      }
      response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
      response.setContentLength(0);
      response.send();
    }

   private:
    Receiver& r_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(Receiver& r) : r_(r) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(r_);
    }

   private:
    Receiver& r_;
  };

  std::function<int(int)> status_of_;
  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::atomic<int> requests_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> accepted_;
  std::string content_type_;
};

inline NotifierConfig webhook(const std::string& url) {
  NotifierConfig c;
  c.kind = NotifierConfig::Kind::kWebhook;
  c.name = "hook";
  c.url = url;
  c.timeout = 2s;
  c.backoff = 20ms;
  c.max_backoff = 80ms;
  return c;
}

inline SeriesLayout one_series() {
  SeriesLayout layout;
  layout.add({"x", "a", "p"});
  return layout;
}

inline AlertRule rule_x(std::chrono::milliseconds for_duration = {}) {
  AlertRule r;
  r.metric = "x";
  r.name = "x_high";
  r.conditions = {{Severity::kCritical, Comparison::kAbove, 5}};
  r.for_duration = for_duration;
  r.flapping = FlapDetection{};
  return r;
}

}  // namespace resync::test

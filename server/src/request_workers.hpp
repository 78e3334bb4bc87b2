// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "connection_loop.hpp"

namespace resync::server::detail {

/// The worker threads: each takes a connection whose request head the ConnectionLoop has read
/// completely, answers that one request with Poco's request and response objects and the
/// factory's handler, and gives the connection back (kept alive, closed, or detached by a
/// WebSocket upgrade) with any bytes read past the request, so a worker never waits for a client
/// to send.
///
/// Thread-safe: submit() from the loop thread, start()/stop() from the owner.
class RequestWorkers {
 public:
  using GiveBack = std::function<void(std::unique_ptr<Connection>, AfterRequest)>;

  /// `factory` makes the handlers. `io_timeout` bounds one blocked send or body read.
  RequestWorkers(size_t threads, Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                 std::chrono::milliseconds io_timeout, GiveBack give_back);
  ~RequestWorkers();
  RequestWorkers(const RequestWorkers&) = delete;
  RequestWorkers& operator=(const RequestWorkers&) = delete;

  void start();
  /// Queues a connection whose next request is complete in its pending bytes.
  void submit(std::unique_ptr<Connection> c);
  /// Aborts the connections being answered (shutdown), closes the queued ones, joins. Idempotent.
  void stop();

 private:
  void run();
  AfterRequest serve_one(Connection& c);

  const size_t threads_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
  Poco::Net::HTTPServerParams::Ptr params_;
  const GiveBack give_back_;
  std::vector<std::thread> workers_;

  // A waiting worker; submit() hands it a job directly.
  struct Idle {
    std::condition_variable wake;
    std::unique_ptr<Connection> job;
  };

  std::mutex mutex_;
  std::vector<Idle*> idle_;                        // most recently idle last
  std::deque<std::unique_ptr<Connection>> queue_;  // jobs no idle worker took
  std::set<int> in_flight_;
  bool stopping_ = false;
};

}  // namespace resync::server::detail

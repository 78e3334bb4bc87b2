// SPDX-License-Identifier: MIT
#include "request_workers.hpp"

#include <sys/socket.h>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Timestamp.h>

#include <algorithm>

#include "raw_response.hpp"

namespace resync::server::detail {
namespace {

// Gives back what Poco's session buffered past the request (a pipelined next request), which
// would otherwise be lost with the session.
class ServerSession final : public Poco::Net::HTTPServerSession {
 public:
  using HTTPServerSession::HTTPServerSession;
  std::string take_buffered() {
    std::string out;
    out.reserve(static_cast<size_t>(buffered()));
    while (buffered() > 0) out.push_back(static_cast<char>(get()));
    return out;
  }
};

Poco::Net::HTTPServerParams::Ptr make_params(std::chrono::milliseconds io_timeout) {
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(true);
  params->setTimeout(
      Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(io_timeout.count()) * 1000));
  return params;
}

}  // namespace

RequestWorkers::RequestWorkers(size_t threads, Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                               std::chrono::milliseconds io_timeout, GiveBack give_back)
    : threads_(threads),
      factory_(std::move(factory)),
      params_(make_params(io_timeout)),
      give_back_(std::move(give_back)) {}

RequestWorkers::~RequestWorkers() { stop(); }

void RequestWorkers::start() {
  for (size_t i = 0; i < threads_; ++i) workers_.emplace_back([this] { run(); });
}

void RequestWorkers::submit(std::unique_ptr<Connection> c) {
  std::lock_guard lock(mutex_);
  if (stopping_) return give_back_(std::move(c), AfterRequest::kClose);
  if (idle_.empty()) return queue_.push_back(std::move(c));
  // The worker idle for the shortest time: the same few threads answer a light load, so only
  // their malloc arenas hold rendered documents (64 threads taking turns grew RSS twofold with a
  // 33 MB /history) and their caches stay warm.
  Idle* worker = idle_.back();
  idle_.pop_back();
  worker->job = std::move(c);
  worker->wake.notify_one();
}

void RequestWorkers::stop() {
  std::deque<std::unique_ptr<Connection>> queued;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    queued.swap(queue_);
    // A worker blocked on a client that does not read returns at once instead of after
    // io_timeout.
    for (const int fd : in_flight_) ::shutdown(fd, SHUT_RDWR);
    for (Idle* worker : idle_) worker->wake.notify_one();
  }
  for (auto& c : queued) give_back_(std::move(c), AfterRequest::kClose);
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void RequestWorkers::run() {
  Idle self;
  for (;;) {
    std::unique_ptr<Connection> c;
    {
      std::unique_lock lock(mutex_);
      if (!stopping_ && queue_.empty()) {
        idle_.push_back(&self);
        self.wake.wait(lock, [&] { return stopping_ || self.job; });
        if (!self.job) idle_.erase(std::find(idle_.begin(), idle_.end(), &self));
      }
      if (stopping_) {
        if (self.job) give_back_(std::move(self.job), AfterRequest::kClose);
        return;
      }
      if (self.job) {
        c = std::move(self.job);
      } else {
        c = std::move(queue_.front());
        queue_.pop_front();
      }
      in_flight_.insert(static_cast<int>(c->socket->sockfd()));
    }
    const int fd = static_cast<int>(c->socket->sockfd());
    const AfterRequest after = serve_one(*c);
    {
      std::lock_guard lock(mutex_);
      in_flight_.erase(fd);
    }
    give_back_(std::move(c), after);
  }
}

// One request, as Poco's HTTPServerConnection answers each of a connection's requests.
AfterRequest RequestWorkers::serve_one(Connection& c) {
  using Poco::Net::HTTPResponse;
  c.socket->duplicate();  // the StreamSocket below takes a reference of its own
  Poco::Net::StreamSocket socket(c.socket.get());
  // Poco bounds each read by params_' timeout; a client that stops reading a large answer must
  // not hold this worker longer either.
  socket.setSendTimeout(params_->getTimeout());
  ServerSession session(socket, params_);
  bool keep_alive = false;
  try {
    Poco::Net::HTTPServerResponseImpl response(session);
    Poco::Net::HTTPServerRequestImpl request(response, session, params_.get());
    response.setDate(Poco::Timestamp());
    response.setVersion(request.getVersion());
    response.setKeepAlive(request.getKeepAlive());
    std::unique_ptr<Poco::Net::HTTPRequestHandler> handler(factory_->createRequestHandler(request));
    if (request.getExpectContinue() && response.getStatus() == HTTPResponse::HTTP_OK)
      response.sendContinue();
    handler->handleRequest(request, response);
    if (!session.connected()) return AfterRequest::kDetached;
    // Documents are written to the socket directly, so response.sent() says nothing here.
    keep_alive = response.getKeepAlive();
  } catch (const Poco::Net::MessageException& e) {
    // The loop checked the head's shape; this is what Poco's own parser still refuses.
    const std::string answer = error_response(400, "malformed request: " + e.message(), false);
    try {
      socket.sendBytes(answer.data(), static_cast<int>(answer.size()));
    } catch (const Poco::Exception&) {
    }
    return AfterRequest::kClose;
  } catch (const Poco::Exception&) {
    return AfterRequest::kClose;  // the client went away or stopped reading
  }
  if (!keep_alive) return AfterRequest::kClose;
  c.socket->put_back(session.take_buffered());
  // Poco's session closes its socket when destroyed; the connection lives on in the loop.
  session.detachSocket();
  return AfterRequest::kKeepAlive;
}

}  // namespace resync::server::detail

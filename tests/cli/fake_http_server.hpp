// SPDX-License-Identifier: MIT
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

namespace resync::test {

/// A deliberately bad HTTP server on 127.0.0.1 for the hostile cases a real server will not
/// produce: wrong answers, huge bodies, slowness. One connection at a time, each answered by
/// `handler(path)` then closed; stopped and joined by the destructor.
class FakeHttpServer {
 public:
  struct Answer {
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";  ///< without Content-Length
    std::string body;
    std::chrono::milliseconds delay{0};  ///< before anything is sent
    std::chrono::milliseconds drip{0};   ///< when set, the body goes out one byte per drip
  };
  using Handler = std::function<Answer(const std::string& path)>;

  explicit FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("FakeHttpServer: cannot listen");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeHttpServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void serve() {
    while (!stopping_) {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(client, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      const size_t start = request.find(' ') + 1;
      const std::string target = request.substr(start, request.find(' ', start) - start);
      const Answer a = handler_(target.substr(0, target.find('?')));
      std::this_thread::sleep_for(a.delay);
      const std::string head = a.head + "Content-Length: " + std::to_string(a.body.size()) +
                               "\r\nConnection: close\r\n\r\n";
      send_all(client, head);
      if (a.drip.count() == 0) {
        send_all(client, a.body);
      } else {
        for (size_t i = 0; i < a.body.size() && !stopping_; ++i) {
          if (!send_all(client, a.body.substr(i, 1))) break;
          std::this_thread::sleep_for(a.drip);
        }
      }
      ::close(client);
    }
  }
  static bool send_all(int fd, const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
      const ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  Handler handler_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace resync::test

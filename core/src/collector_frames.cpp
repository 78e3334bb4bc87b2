// SPDX-License-Identifier: MIT
#include "collector_frames.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace resync::detail {
namespace {

using SteadyClock = std::chrono::steady_clock;

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

// Reads fields from a payload, refusing every length that would run past its end.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view data) : data_(data) {}
  std::string_view take(size_t n, const char* what) {
    if (n > data_.size() - at_)
      throw ProtocolError(std::string("result frame ends inside ") + what);
    const std::string_view out = data_.substr(at_, n);
    at_ += n;
    return out;
  }
  uint32_t u32(const char* what) { return get_u32(take(4, what).data()); }
  uint8_t u8(const char* what) { return static_cast<uint8_t>(take(1, what)[0]); }
  double f64(const char* what) {
    const std::string_view bytes = take(8, what);
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  std::string text(size_t max, const char* what) {
    const uint32_t n = u32(what);
    if (n > max) {
      throw ProtocolError(std::string(what) + " of " + std::to_string(n) + " bytes exceeds " +
                          std::to_string(max));
    }
    return std::string(take(n, what));
  }
  bool done() const { return at_ == data_.size(); }

 private:
  std::string_view data_;
  size_t at_ = 0;
};

bool known_type(uint8_t t) {
  return t >= static_cast<uint8_t>(FrameType::kConfig) &&
         t <= static_cast<uint8_t>(FrameType::kResult);
}

// Milliseconds to pass to poll(): -1 without a deadline, 0 once it has passed.
int poll_timeout(std::optional<SteadyClock::time_point> deadline) {
  if (!deadline) return -1;
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(*deadline - SteadyClock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 1'000'000));
}

}  // namespace

std::string encode_frame(FrameType type, std::string_view payload) {
  std::string out;
  out.reserve(5 + payload.size());
  put_u32(out, static_cast<uint32_t>(payload.size() + 1));
  out.push_back(static_cast<char>(type));
  out.append(payload);
  return out;
}

std::string encode_result(const CollectResult& r) {
  std::string p;
  p.push_back(r.ok ? 1 : 0);
  put_u32(p, static_cast<uint32_t>(r.samples.size()));
  for (const auto& [name, value] : r.samples) {
    put_u32(p, static_cast<uint32_t>(name.size()));
    p += name;
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    for (int i = 0; i < 8; ++i) p.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  put_u32(p, static_cast<uint32_t>(r.status.size()));
  p += r.status;
  put_u32(p, static_cast<uint32_t>(r.error.size()));
  p += r.error;
  return p;
}

CollectResult decode_result(std::string_view payload) {
  PayloadReader in(payload);
  CollectResult r;
  const uint8_t ok = in.u8("ok flag");
  if (ok > 1) throw ProtocolError("ok flag is " + std::to_string(ok) + ", expected 0 or 1");
  r.ok = ok == 1;
  const uint32_t count = in.u32("sample count");
  if (count > kMaxResultSamples) {
    throw ProtocolError(std::to_string(count) + " samples exceed " +
                        std::to_string(kMaxResultSamples));
  }
  // Each sample takes at least 12 bytes, so a count the payload cannot hold is caught here,
  // before reserving memory for it.
  if (count > payload.size() / 12) throw ProtocolError("sample count larger than the frame");
  r.samples.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string name = in.text(kMaxMetricNameBytes, "metric name");
    if (name.empty()) throw ProtocolError("empty metric name");
    const double value = in.f64("sample value");
    r.samples.emplace_back(std::move(name), value);
  }
  r.status = in.text(kMaxResultTextBytes, "status");
  r.error = in.text(kMaxResultTextBytes, "error");
  if (!in.done()) throw ProtocolError("trailing bytes after the result");
  return r;
}

std::optional<Frame> FrameReader::next() {
  if (buffer_.size() < 4) return std::nullopt;
  const uint32_t length = get_u32(buffer_.data());
  if (length == 0) throw ProtocolError("frame of length 0");
  if (length > max_) {
    throw ProtocolError("frame of " + std::to_string(length) + " bytes exceeds the limit of " +
                        std::to_string(max_));
  }
  if (buffer_.size() >= 5 && !known_type(static_cast<uint8_t>(buffer_[4]))) {
    throw ProtocolError("unknown frame type " +
                        std::to_string(static_cast<unsigned char>(buffer_[4])));
  }
  if (buffer_.size() - 4 < length) return std::nullopt;
  Frame f;
  f.type = static_cast<FrameType>(buffer_[4]);
  f.payload = buffer_.substr(5, length - 1);
  buffer_.erase(0, 4 + size_t{length});
  return f;
}

bool Channel::send(FrameType type, std::string_view payload,
                   std::optional<SteadyClock::time_point> deadline) {
  const std::string bytes = encode_frame(type, payload);
  size_t sent = 0;
  while (sent < bytes.size()) {
    pollfd p{fd_, POLLOUT, 0};
    const int ready = poll(&p, 1, poll_timeout(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    // MSG_NOSIGNAL: a dead peer is an error return here, never a SIGPIPE.
    const ssize_t n =
        ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

ReceiveStatus Channel::receive(Frame& out, std::optional<SteadyClock::time_point> deadline) {
  for (;;) {
    if (auto frame = reader_.next()) {
      out = std::move(*frame);
      return ReceiveStatus::kFrame;
    }
    pollfd p{fd_, POLLIN, 0};
    const int ready = poll(&p, 1, poll_timeout(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return ReceiveStatus::kClosed;
    if (ready == 0) return ReceiveStatus::kTimeout;
    char buf[64 * 1024];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) return ReceiveStatus::kClosed;
    reader_.feed(buf, static_cast<size_t>(n));
  }
}

}  // namespace resync::detail

// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Private to core: the protocol between the monitor and a `resync-mon collector-host` child
// (isolation: process). Every frame is
//   u32 length (little-endian, counts the type byte and the payload) | u8 type | payload
// and the reader refuses a frame before buffering it when its length is 0 or above the limit,
// so a hostile child costs at most one limit of memory.
namespace resync::detail {

enum class FrameType : uint8_t {
  kConfig = 1,  ///< parent -> child: the plugin's config JSON; answered by kReady/kCreateFailed
  kReady = 2,   ///< child -> parent: create() succeeded
  kCreateFailed = 3,  ///< child -> parent: create() failed; payload is its message
  kCollect = 4,       ///< parent -> child: run collect() once; answered by kResult
  kResult = 5,        ///< child -> parent: see CollectResult
};

/// Largest frame the parent accepts from a child, and the child from the parent (config JSON is
/// bounded by ConfigLimits::kTotalBytes).
constexpr size_t kMaxChildFrameBytes = 1024 * 1024;
constexpr size_t kMaxParentFrameBytes = 4 * 1024 * 1024 + 16;
/// Bounds inside a kResult frame.
constexpr uint32_t kMaxResultSamples = 65536;
constexpr size_t kMaxMetricNameBytes = 255;
constexpr size_t kMaxResultTextBytes = 4096;

/// Bytes that break the protocol: the child that sent them is killed.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Frame {
  FrameType type{};
  std::string payload;
};

/// One collect() as the child reports it.
struct CollectResult {
  bool ok = false;
  std::vector<std::pair<std::string, double>> samples;
  std::string status;
  std::string error;
};

/// The bytes of one frame, header included.
std::string encode_frame(FrameType type, std::string_view payload);
std::string encode_result(const CollectResult& result);
/// Throws ProtocolError on any length that runs past the payload, a name or text over its
/// bound, too many samples, or trailing bytes.
CollectResult decode_result(std::string_view payload);

/// Splits a byte stream into frames. Not thread-safe.
class FrameReader {
 public:
  explicit FrameReader(size_t max_frame_bytes) : max_(max_frame_bytes) {}
  /// Appends received bytes.
  void feed(const char* data, size_t size) { buffer_.append(data, size); }
  /// The next complete frame, or nullopt when more bytes are needed. Throws ProtocolError on a
  /// zero or oversized length or an unknown type, as soon as the header shows it.
  std::optional<Frame> next();
  bool empty() const { return buffer_.empty(); }

 private:
  size_t max_;
  std::string buffer_;
};

/// Result of Channel::receive().
enum class ReceiveStatus { kFrame, kClosed, kTimeout };

/// A stream socket carrying frames. Does not own the descriptor. Not thread-safe.
class Channel {
 public:
  Channel(int fd, size_t max_frame_bytes) : fd_(fd), reader_(max_frame_bytes) {}

  /// Writes the whole frame before `deadline` (nullopt: no deadline). False when the peer is
  /// gone or the deadline passed.
  bool send(FrameType type, std::string_view payload,
            std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);
  /// Waits for one frame until `deadline` (nullopt: no deadline). Throws ProtocolError on
  /// garbage; kClosed also when the peer closed in the middle of a frame.
  ReceiveStatus receive(
      Frame& out, std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

 private:
  int fd_;
  FrameReader reader_;
};

}  // namespace resync::detail

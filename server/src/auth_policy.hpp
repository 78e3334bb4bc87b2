// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace resync::server::detail {

/// Who may use the server: a bearer token, or a Basic user and password (plain, or a crypt(3)
/// `password_hash`), or anyone.
///
/// A hash costs tens of milliseconds to verify (yescrypt's default), and the dashboard sends the
/// same header with every request, so a verified header is remembered for kCacheTtl: as an
/// HMAC-SHA256 under a key drawn at construction (never the header itself), in a cache of at most
/// kCacheEntries, compared in constant time. A wrong password is never cached.
///
/// The hash itself never runs on an event loop: check() answers from the cache (or the plain
/// credentials) and says kVerify when only the hash can tell; verify() then runs on the render
/// pool, at most kMaxVerifying at once (try_begin_verify()), so a client sending wrong passwords
/// by the hundred stalls no connection and queues no unbounded work.
///
/// Thread-safe: every method from any number of threads (the cache has its own lock).
class AuthPolicy {
 public:
  static constexpr size_t kCacheEntries = 16;
  static constexpr std::chrono::seconds kCacheTtl{60};
  /// Hash verifications queued or running at once; more are refused (429) until one ends.
  static constexpr size_t kMaxVerifying = 4;

  enum class Verdict { kAllowed, kDenied, kVerify };

  /// A non-empty `token` wins over `user`; both empty = no authentication. With `user`, a
  /// non-empty `password_hash` (checked by the configuration) replaces `password`.
  AuthPolicy(const std::string& token, const std::string& user, const std::string& password,
             const std::string& password_hash = "", bool cache = true);

  bool required() const { return !scheme_.empty(); }
  /// Whether an Authorization header value carries the credentials (scheme case-insensitive,
  /// credentials compared in constant time). Always true when none are required.
  bool authorized(std::string_view authorization) const;
  /// Like authorized(), without hashing: kVerify when only the password hash can tell (a
  /// remembered header is kAllowed at once).
  Verdict check(std::string_view authorization) const;
  /// The hash check check() deferred (tens of milliseconds); remembers a verified header.
  bool verify(std::string_view authorization) const;
  /// Reserves one of the kMaxVerifying verification slots; false when all are taken.
  bool try_begin_verify() const;
  void end_verify() const;
  /// The WWW-Authenticate value of a 401.
  const std::string& challenge() const { return challenge_; }

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Remembered {
    Digest digest;
    std::chrono::steady_clock::time_point until;
  };
  bool hashed_authorized(std::string_view credentials) const;
  std::optional<std::string_view> credentials_of(std::string_view authorization) const;
  Digest digest(std::string_view credentials) const;
  bool remembered(const Digest& d) const;
  void remember(const Digest& d) const;

  std::string scheme_, credentials_, challenge_;  // empty scheme = no auth
  std::string user_, password_hash_;              // Basic with a hash: credentials_ unused
  bool cache_ = true;
  std::array<unsigned char, 32> key_{};  // HMAC key of the cache, random per process
  mutable std::mutex mutex_;
  mutable std::vector<Remembered> cache_entries_;
  mutable std::atomic<size_t> verifying_{0};
};

/// Compares in time that depends only on `expected`'s length, not on where they differ.
bool constant_time_equals(std::string_view given, std::string_view expected);
/// Whether a WebSocket handshake with this Origin may proceed: listed in `allowed` ("*" = any),
/// or, when `allowed` is empty, the same origin as the Host header. An empty Origin (non-browser
/// client) is allowed.
bool origin_allowed(std::string_view origin, std::string_view host_header,
                    const std::vector<std::string>& allowed);

}  // namespace resync::server::detail

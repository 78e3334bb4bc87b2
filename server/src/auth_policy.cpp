// SPDX-License-Identifier: MIT
#include "auth_policy.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "http_text.hpp"
#include "resync/password_hash.hpp"
#include "resync/util/host_port.hpp"

namespace resync::server::detail {
namespace {

std::string base64(const std::string& text) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << text;
  encoder.close();
  return out.str();
}

// Basic credentials longer than this are no user:password anyone configured; refusing them
// bounds the base64 decoding and the hash input.
constexpr size_t kMaxBasicCredentials = 1024;

std::optional<std::string> unbase64(std::string_view text) {
  if (text.size() > kMaxBasicCredentials) return std::nullopt;
  try {
    std::istringstream in{std::string(text)};
    Poco::Base64Decoder decoder(in);
    std::string out((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Poco's HMACEngine wants the block and digest sizes as members, which Poco 1.11's SHA2Engine
// lacks. Poco Foundation rather than OpenSSL, so that a server without TLS never maps libcrypto.
class Sha256Engine : public Poco::SHA2Engine {
 public:
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256Engine() : Poco::SHA2Engine(SHA_256) {}
};

// From the kernel's CSPRNG; getrandom(2) blocks only before the pool is first seeded at boot.
void random_bytes(unsigned char* out, size_t size) {
  for (size_t got = 0; got < size;) {
    const ssize_t n = ::getrandom(out + got, size - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw std::runtime_error(std::string("cannot draw the credential cache's key: ") +
                               std::strerror(errno));
    got += static_cast<size_t>(n);
  }
}

std::string_view bytes(const std::array<unsigned char, 32>& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace

AuthPolicy::AuthPolicy(const std::string& token, const std::string& user,
                       const std::string& password, const std::string& password_hash, bool cache)
    : cache_(cache) {
  if (!token.empty()) {
    scheme_ = "Bearer";
    credentials_ = token;
    challenge_ = "Bearer realm=\"resync-mon\"";
  } else if (!user.empty()) {
    scheme_ = "Basic";
    if (password_hash.empty()) {
      credentials_ = base64(user + ":" + password);
    } else {
      user_ = user;
      password_hash_ = password_hash;
      random_bytes(key_.data(), key_.size());
    }
    challenge_ = "Basic realm=\"resync-mon\", charset=\"UTF-8\"";
  }
}

AuthPolicy::Digest AuthPolicy::digest(std::string_view credentials) const {
  Poco::HMACEngine<Sha256Engine> hmac(reinterpret_cast<const char*>(key_.data()), key_.size());
  hmac.update(credentials.data(), credentials.size());
  const Poco::DigestEngine::Digest& result = hmac.digest();
  Digest d{};
  std::copy_n(result.begin(), std::min(result.size(), d.size()), d.begin());
  return d;
}

bool AuthPolicy::remembered(const Digest& d) const {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  bool found = false;
  // Every live entry is compared, whatever matches, so the time taken says nothing about which.
  for (const Remembered& r : cache_entries_) {
    const bool same = constant_time_equals(bytes(r.digest), bytes(d));
    found = found || (same && r.until > now);
  }
  return found;
}

void AuthPolicy::remember(const Digest& d) const {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  cache_entries_.erase(std::remove_if(cache_entries_.begin(), cache_entries_.end(),
                                      [&](const Remembered& r) { return r.until <= now; }),
                       cache_entries_.end());
  if (cache_entries_.size() >= kCacheEntries) cache_entries_.erase(cache_entries_.begin());
  cache_entries_.push_back({d, now + kCacheTtl});
}

bool AuthPolicy::hashed_authorized(std::string_view credentials) const {
  const Digest d = digest(credentials);
  if (cache_ && remembered(d)) return true;
  const std::optional<std::string> decoded = unbase64(credentials);
  if (!decoded) return false;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  const bool user_ok = constant_time_equals(std::string_view(*decoded).substr(0, colon), user_);
  // The hash is computed even for a wrong user, so timing does not tell users apart.
  const bool password_ok =
      verify_password(std::string_view(*decoded).substr(colon + 1), password_hash_);
  if (!user_ok || !password_ok) return false;
  if (cache_) remember(d);
  return true;
}

// The credentials after a matching scheme, or nullopt for another scheme or none.
std::optional<std::string_view> AuthPolicy::credentials_of(std::string_view given) const {
  const size_t space = given.find(' ');
  if (space == std::string_view::npos || !iequals(given.substr(0, space), scheme_))
    return std::nullopt;
  given.remove_prefix(space);
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  return given;
}

bool AuthPolicy::authorized(std::string_view given) const {
  const Verdict v = check(given);
  return v == Verdict::kAllowed || (v == Verdict::kVerify && verify(given));
}

AuthPolicy::Verdict AuthPolicy::check(std::string_view given) const {
  if (scheme_.empty()) return Verdict::kAllowed;
  const std::optional<std::string_view> credentials = credentials_of(given);
  if (!credentials) return Verdict::kDenied;
  if (password_hash_.empty())
    return constant_time_equals(*credentials, credentials_) ? Verdict::kAllowed : Verdict::kDenied;
  if (credentials->size() > kMaxBasicCredentials) return Verdict::kDenied;
  if (cache_ && remembered(digest(*credentials))) return Verdict::kAllowed;
  return Verdict::kVerify;
}

bool AuthPolicy::verify(std::string_view given) const {
  const std::optional<std::string_view> credentials = credentials_of(given);
  return credentials && !password_hash_.empty() && hashed_authorized(*credentials);
}

bool AuthPolicy::try_begin_verify() const {
  size_t n = verifying_.load();
  do {
    if (n >= kMaxVerifying) return false;
  } while (!verifying_.compare_exchange_weak(n, n + 1));
  return true;
}

void AuthPolicy::end_verify() const { verifying_.fetch_sub(1); }

bool constant_time_equals(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() != expected.size() ? 1 : 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

bool origin_allowed(std::string_view origin, std::string_view host_header,
                    const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;
  if (!allowed.empty()) {
    return std::any_of(allowed.begin(), allowed.end(),
                       [origin](const std::string& a) { return a == "*" || iequals(a, origin); });
  }
  // Same origin: the page's scheme://host[:port] must name this server as the Host header does.
  const size_t sep = origin.find("://");
  if (sep == std::string_view::npos) return false;
  const std::string_view scheme = origin.substr(0, sep);
  const uint16_t default_port = iequals(scheme, "https") ? 443 : iequals(scheme, "http") ? 80 : 0;
  if (default_port == 0) return false;
  const auto o = try_parse_host_port(origin.substr(sep + 3), default_port);
  const auto h = try_parse_host_port(host_header, default_port);
  return o && h && iequals(o->host, h->host) && o->port == h->port;
}

}  // namespace resync::server::detail

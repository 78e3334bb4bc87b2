// SPDX-License-Identifier: MIT
#include "resync/password_hash.hpp"

#include <crypt.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace resync {
namespace {

// crypt_data is 32 KB: on the heap, not on a worker thread's stack.
std::string crypt_with(std::string_view password, const char* setting) {
  auto data = std::make_unique<crypt_data>();
  const std::string pw(password);  // crypt wants a NUL-terminated phrase
  const char* out = crypt_rn(pw.c_str(), setting, data.get(), sizeof *data);
  std::string result = out ? out : "";
  // The phrase was copied into the work area; scrub it before the memory is reused.
  explicit_bzero(data.get(), sizeof *data);
  // libxcrypt marks failure with a string starting with '*', never a valid hash.
  return !result.empty() && result[0] != '*' ? result : "";
}

// Only the methods the SPEC names and their siblings: DES and MD5 hashes are too weak to invite.
bool known_method(const std::string& hash) {
  return hash.rfind("$y$", 0) == 0 || hash.rfind("$2b$", 0) == 0 || hash.rfind("$2y$", 0) == 0 ||
         hash.rfind("$6$", 0) == 0 || hash.rfind("$5$", 0) == 0;
}

}  // namespace

bool password_hash_supported(const std::string& hash) {
  return known_method(hash) && crypt_with("", hash.c_str()).size() == hash.size();
}

bool verify_password(std::string_view password, const std::string& hash) {
  if (!known_method(hash)) return false;
  const std::string computed = crypt_with(password, hash.c_str());
  if (computed.empty() || computed.size() != hash.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < hash.size(); ++i)
    diff |= static_cast<unsigned char>(computed[i] ^ hash[i]);
  return diff == 0;
}

std::string hash_password(std::string_view password) {
  // count 0 = libxcrypt's default cost for yescrypt; a null random source = getrandom().
  char* setting = crypt_gensalt_ra("$y$", 0, nullptr, 0);
  if (!setting) throw std::runtime_error("libcrypt could not make a yescrypt salt");
  std::unique_ptr<char, decltype(&std::free)> owned(setting, &std::free);
  std::string hash = crypt_with(password, setting);
  if (hash.empty()) throw std::runtime_error("libcrypt could not hash the password");
  return hash;
}

}  // namespace resync

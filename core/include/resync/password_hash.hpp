// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

/// crypt(3) password hashes through libxcrypt: what `server.auth.password_hash` holds and
/// `resync-mon hash-password` prints.
namespace resync {

/// Whether libcrypt can verify `hash`: yescrypt ($y$), bcrypt ($2b$, $2y$), sha512-crypt ($6$),
/// sha256-crypt ($5$) as mkpasswd and `openssl passwd` write them. Thread-safe.
bool password_hash_supported(const std::string& hash);

/// Whether `password` hashes to `hash`; false for an unsupported hash. Takes the hash's whole
/// cost (yescrypt's default: tens of ms). Thread-safe (crypt_rn, no static buffer).
bool verify_password(std::string_view password, const std::string& hash);

/// A new yescrypt hash of `password` with a fresh salt from the system's random source.
/// Throws std::runtime_error if libcrypt cannot make a salt or a hash.
std::string hash_password(std::string_view password);

}  // namespace resync

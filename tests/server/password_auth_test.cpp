// SPDX-License-Identifier: MIT
// crypt(3) password hashes as operators make them (openssl passwd -6, mkpasswd from Debian's
// whois, resync-mon's own hash-password), verified through libcrypt and by the server's
// AuthPolicy with its cache of verified credentials.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <sstream>

#include "auth_policy.hpp"
#include "resync/password_hash.hpp"
#include "test_support.hpp"

namespace resync {
namespace {

using server::detail::AuthPolicy;

// Runs a shell command and returns its standard output without the final newline.
std::string output_of(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return "";
  std::string out;
  char buf[256];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe.get())) out.append(buf, n);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string basic(const std::string& user_pass) {
  std::ostringstream out;
  // Base64 by hand keeps this test off the encoder the policy itself uses.
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 2 < user_pass.size(); i += 3) {
    const unsigned v = (unsigned char)user_pass[i] << 16 | (unsigned char)user_pass[i + 1] << 8 |
                       (unsigned char)user_pass[i + 2];
    out << k[v >> 18] << k[(v >> 12) & 63] << k[(v >> 6) & 63] << k[v & 63];
  }
  if (i + 1 == user_pass.size()) {
    const unsigned v = (unsigned char)user_pass[i] << 16;
    out << k[v >> 18] << k[(v >> 12) & 63] << "==";
  } else if (i + 2 == user_pass.size()) {
    const unsigned v = (unsigned char)user_pass[i] << 16 | (unsigned char)user_pass[i + 1] << 8;
    out << k[v >> 18] << k[(v >> 12) & 63] << k[(v >> 6) & 63] << "=";
  }
  return "Basic " + out.str();
}

TEST(PasswordHashTest, VerifiesOpensslSha512CryptHashes) {
  ASSERT_TRUE(test::find_program("openssl")) << "openssl not found (scripts/deps --test)";
  const std::string hash = output_of("openssl passwd -6 'correct horse'");
  ASSERT_EQ(hash.rfind("$6$", 0), 0u) << hash;
  EXPECT_TRUE(password_hash_supported(hash));
  EXPECT_TRUE(verify_password("correct horse", hash));
  EXPECT_FALSE(verify_password("correct horsE", hash));
  EXPECT_FALSE(verify_password("", hash));
}

TEST(PasswordHashTest, VerifiesMkpasswdYescryptAndBcryptHashes) {
  ASSERT_TRUE(test::find_program("mkpasswd")) << "mkpasswd not found (package whois; "
                                                 "scripts/deps --test)";
  for (const char* method : {"yescrypt", "bcrypt"}) {
    const std::string hash =
        output_of(std::string("printf 'battery staple' | mkpasswd -m ") + method + " --stdin");
    EXPECT_TRUE(password_hash_supported(hash)) << method << ": " << hash;
    EXPECT_TRUE(verify_password("battery staple", hash)) << method;
    EXPECT_FALSE(verify_password("battery stapler", hash)) << method;
  }
}

TEST(PasswordHashTest, MakesYescryptHashesWithFreshSalts) {
  const std::string a = hash_password("pw"), b = hash_password("pw");
  EXPECT_EQ(a.rfind("$y$", 0), 0u) << a;
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify_password("pw", a));
  EXPECT_TRUE(verify_password("pw", b));
  EXPECT_FALSE(verify_password("pW", a));
}

TEST(PasswordHashTest, RefusesWeakAndMalformedHashes) {
  const std::string md5 = output_of("openssl passwd -1 pw");  // $1$: MD5-crypt, too weak
  ASSERT_EQ(md5.rfind("$1$", 0), 0u) << md5;
  for (const std::string& bad : {md5, std::string("abJnggxhB/yWI"), std::string("pw"),
                                 std::string("$6$"), std::string("$y$garbage"), std::string("")}) {
    EXPECT_FALSE(password_hash_supported(bad)) << bad;
    EXPECT_FALSE(verify_password("pw", bad)) << bad;
  }
}

TEST(HashedAuthPolicyTest, AcceptsTheRightUserAndPasswordOnly) {
  const std::string hash = hash_password("s3cret");
  for (bool cache : {true, false}) {
    const AuthPolicy policy("", "ops", "", hash, cache);
    EXPECT_TRUE(policy.required());
    EXPECT_TRUE(policy.authorized(basic("ops:s3cret"))) << cache;
    EXPECT_TRUE(policy.authorized(basic("ops:s3cret"))) << cache;  // from the cache when on
    EXPECT_FALSE(policy.authorized(basic("ops:s3creT"))) << cache;
    EXPECT_FALSE(policy.authorized(basic("opz:s3cret"))) << cache;
    EXPECT_FALSE(policy.authorized(basic("ops"))) << cache;
    EXPECT_FALSE(policy.authorized("Bearer s3cret")) << cache;
    EXPECT_FALSE(policy.authorized("Basic !!!not-base64")) << cache;
    EXPECT_FALSE(policy.authorized("Basic " + std::string(4000, 'A'))) << cache;
    EXPECT_FALSE(policy.authorized("")) << cache;
  }
}

// The cache holds verified credentials only: a wrong password, tried first or after the right
// one was cached, is refused every time.
TEST(HashedAuthPolicyTest, NeverCachesAFailure) {
  const AuthPolicy policy("", "ops", "", hash_password("s3cret"));
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(policy.authorized(basic("ops:wrong")));
  EXPECT_TRUE(policy.authorized(basic("ops:s3cret")));
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(policy.authorized(basic("ops:wrong")));
  EXPECT_TRUE(policy.authorized(basic("ops:s3cret")));
}

// check() is what the event loop calls: it never hashes, it answers from the cache or says the
// hash must be checked (on the render pool, a bounded few at a time).
TEST(HashedAuthPolicyTest, CheckNeverHashesAndVerificationsAreBounded) {
  using Verdict = AuthPolicy::Verdict;
  const AuthPolicy policy("", "ops", "", hash_password("s3cret"));
  EXPECT_EQ(policy.check(basic("ops:s3cret")), Verdict::kVerify);
  EXPECT_EQ(policy.check(basic("ops:wrong")), Verdict::kVerify);
  EXPECT_EQ(policy.check("Bearer s3cret"), Verdict::kDenied);
  EXPECT_EQ(policy.check("Basic " + std::string(4000, 'A')), Verdict::kDenied);
  EXPECT_TRUE(policy.verify(basic("ops:s3cret")));
  EXPECT_FALSE(policy.verify(basic("ops:wrong")));
  EXPECT_EQ(policy.check(basic("ops:s3cret")), Verdict::kAllowed);  // remembered
  EXPECT_EQ(policy.check(basic("ops:wrong")), Verdict::kVerify);    // never remembered

  for (size_t i = 0; i < AuthPolicy::kMaxVerifying; ++i) EXPECT_TRUE(policy.try_begin_verify());
  EXPECT_FALSE(policy.try_begin_verify());
  policy.end_verify();
  EXPECT_TRUE(policy.try_begin_verify());

  const AuthPolicy plain("", "ops", "pw");
  EXPECT_EQ(plain.check(basic("ops:pw")), Verdict::kAllowed);
  EXPECT_EQ(plain.check(basic("ops:px")), Verdict::kDenied);
}

}  // namespace
}  // namespace resync

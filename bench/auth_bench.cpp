// SPDX-License-Identifier: MIT
// What a request with Basic auth and server.auth.password_hash costs: verifying the yescrypt hash
// every time, against the policy's cache of verified credentials (README/CHANGELOG quote both).
#include <benchmark/benchmark.h>

#include "auth_policy.hpp"
#include "resync/password_hash.hpp"

namespace {

using resync::server::detail::AuthPolicy;

// "ops:correct horse" in base64.
constexpr const char* kHeader = "Basic b3BzOmNvcnJlY3QgaG9yc2U=";

void BM_HashedBasicAuth(benchmark::State& state) {
  const bool cache = state.range(0) != 0;
  const AuthPolicy policy("", "ops", "", resync::hash_password("correct horse"), cache);
  if (!policy.authorized(kHeader)) state.SkipWithError("the header does not verify");
  for (auto _ : state) benchmark::DoNotOptimize(policy.authorized(kHeader));
  state.SetLabel(cache ? "cached" : "yescrypt every request");
}
BENCHMARK(BM_HashedBasicAuth)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_PlainBasicAuth(benchmark::State& state) {
  const AuthPolicy policy("", "ops", "correct horse");
  for (auto _ : state) benchmark::DoNotOptimize(policy.authorized(kHeader));
}
BENCHMARK(BM_PlainBasicAuth)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

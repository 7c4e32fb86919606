// JsonRpcClientOptions: the tunables of the JSON-RPC chain client (mirrors the `rpc` and
// `chain.rpc_urls` / `chain.chain_id` keys of the node config; rpc/ does not depend on
// node/, so the node copies them over).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rpc/rpc_observer.hpp"

namespace claimsync::eth {

struct JsonRpcClientOptions {
  std::vector<std::string> urls;          // http(s) endpoints, in order of preference (>= 1)
  std::uint64_t chain_id = 0;             // endpoints answering another eth_chainId are refused
  std::int64_t timeout_ms = 10'000;       // per HTTP request
  std::uint32_t max_retries = 5;          // per call: at most max_retries + 1 attempts
  std::int64_t backoff_initial_ms = 200;  // full-jitter backoff between attempts
  std::int64_t backoff_max_ms = 10'000;   // also caps honoured Retry-After values
  std::uint64_t logs_min_span = 1;        // eth_getLogs blocks per request, adaptive
  std::uint64_t logs_max_span = 5'000;
  std::uint64_t logs_initial_span = 1'000;
  std::size_t max_response_bytes = 64u << 20;
  std::size_t max_batch = 100;               // calls per JSON-RPC batch (one HTTP round trip)
  std::size_t balance_pairs_per_call = 500;  // (owner, id) pairs per balanceOfBatch eth_call
  // An endpoint whose head is more than this many blocks below the highest head any
  // endpoint reported is lagging: the pool fails over from it (rpc.max_lag_blocks).
  std::uint64_t max_lag_blocks = 8;
  std::uint64_t rng_seed = 0;  // backoff jitter; 0 = seeded from the OS
  // Told about every call attempt (rpc/rpc_observer.hpp), e.g. for metrics. May be empty.
  RpcObserver observer;
};

}  // namespace claimsync::eth

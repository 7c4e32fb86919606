// RpcObserver: a hook the chain client calls once per JSON-RPC call per attempt, so the
// node can count and time its RPC traffic (node/metrics implements it; rpc/ does not
// depend on node/).
//
// Contract:
//   * EndpointPool calls it after every HTTP round trip to an endpoint (the chain id check
//     included), once for each call of the round, with the round trip's duration: a batch
//     of 50 eth_getBlockByNumber reports 50 attempts of the same duration. A retried call
//     reports each attempt.
//   * Called on the thread that made the call, without any pool lock held; it must be
//     cheap and thread-safe, and must not call back into the pool.
//   * `method` is the JSON-RPC method name the client chose (a small fixed set), never
//     anything from a remote.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "rpc/status.hpp"

namespace claimsync::eth {

struct RpcReply;

enum class RpcOutcome {
  kOk,           // a result came back
  kRateLimited,  // HTTP 429 or a JSON-RPC rate-limit error
  kTimeout,      // no answer in time (transport timeout, HTTP 408 / 504)
  kConnection,   // could not reach the endpoint (refused, reset, TLS, 5xx)
  kOther,        // malformed response, any other JSON-RPC error object, ...
};
inline constexpr int kRpcOutcomeCount = 5;
// "ok", "rate_limited", "timeout", "connection", "other".
const char* rpc_outcome_name(RpcOutcome outcome);

// The outcome of one call of a round trip: `reply` is null when the whole request failed
// with `transport` (then not OK); else the reply's JSON-RPC error, if any, is classified
// with classify_rpc_error(…, logs_query).
RpcOutcome rpc_outcome(const Status& transport, const RpcReply* reply, bool logs_query);

struct RpcAttempt {
  std::string_view method;
  RpcOutcome outcome = RpcOutcome::kOk;
  double seconds = 0;  // the round trip, measured with Clock::monotonic_us
};

using RpcObserver = std::function<void(const RpcAttempt& attempt)>;

}  // namespace claimsync::eth

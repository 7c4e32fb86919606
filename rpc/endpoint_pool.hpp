// EndpointPool: several JSON-RPC endpoints behind one call interface, with bounded
// retries, full-jitter backoff, Retry-After, failover, health and a chain id check.
//
// Contract:
//   * An endpoint is used only after its eth_chainId matched the configured chain id;
//     one that answers another id is refused for the life of the pool (logged as an
//     error with what to do). Checked lazily before first use, or by verify_all().
//   * Health: each failure puts the endpoint in a cooldown of full-jitter backoff over its
//     consecutive failures, at least the (capped) Retry-After it sent; a success resets
//     it. Calls go to the first endpoint, in configured order, that is not cooling down;
//     when all are, the pool waits (Clock::sleep_ms, interruptible by the StopFlag) for
//     the one that recovers first. `score` (EWMA of successes) is reported for metrics.
//   * Every call makes at most max_retries + 1 attempts. Retried: transport failures,
//     HTTP 429 / 5xx / timeouts, malformed responses, JSON-RPC rate-limit and transient
//     errors (only the affected calls of a batch are re-sent), and replies the caller's
//     `validate` rejects with kBadResponse (a lying endpoint; the whole round is dropped).
//     Other JSON-RPC errors come back in the RpcReply, for the caller to judge.
//   * Lag (issue 10): the pool keeps a high-water head, the highest head any endpoint
//     reported (CallOptions::reported_head). An endpoint that reports a head more than
//     max_lag_blocks below it, or whose reply `validate` rejects with kNotFound (it does
//     not serve a block it must have), is *lagging*: logged once per episode as
//     rpc_endpoint_lagging, put in cooldown and the call fails over to an endpoint that
//     is not lagging. When no such endpoint is usable now, a lagging head is returned as
//     is and a kNotFound from `validate` is returned at once (the caller waits: a block
//     the endpoint does not have is never evidence of anything). Calls prefer endpoints
//     that are not lagging; an endpoint stops lagging when it reports a head within
//     max_lag_blocks of the high-water head.
//   * eth_getLogs (logs_query): an answer larger than max_response_bytes comes back at
//     once as a JSON-RPC error reply "response too large" for every call of the round,
//     which classify_rpc_error reads as kRangeTooLarge: the caller shrinks the range. The
//     endpoint is not blamed (the limit is ours).
//   * Calls beyond max_batch are sent as several batches, one HTTP round trip each.
//   * Every round trip is reported to JsonRpcClientOptions::observer, per call and attempt
//     (rpc/rpc_observer.hpp).
//   * Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "rpc/backoff.hpp"
#include "rpc/client_options.hpp"
#include "rpc/clock.hpp"
#include "rpc/json_rpc.hpp"
#include "rpc/status.hpp"

namespace claimsync::eth {

struct CallOptions {
  // eth_getLogs semantics: kRangeTooLarge errors come back in the reply, and a timeout is
  // returned at once as kTimeout (the caller shrinks the range) instead of retried.
  bool logs_query = false;
  // Checks one successful reply (index into the calls). kBadResponse: the endpoint lied,
  // retry elsewhere. Any other error is returned to the caller as is. It may take what it
  // needs out of the reply (e.g. move RpcReply::logs).
  // kNotFound: the endpoint does not serve a block it must have (it is behind): fail over
  // (see "Lag" above).
  std::function<Status(std::size_t index, RpcReply& reply)> validate;
  // For head answers (eth_blockNumber, eth_getBlockByNumber("latest")): the head a valid
  // reply reports, fed to the high-water head and the lag check. Null: not a head call.
  std::function<std::optional<std::uint64_t>(const RpcReply& reply)> reported_head;
  std::int64_t timeout_ms = 0;  // <= 0: the pool's timeout_ms
};

struct EndpointHealth {
  std::string url;  // redacted
  enum class State { kUnverified, kVerified, kRefused } state = State::kUnverified;
  double score = 1.0;  // EWMA of outcomes, 1 = always succeeds
  std::uint32_t consecutive_failures = 0;
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
  std::int64_t cooldown_until_ms = 0;
  std::string last_error;
  std::optional<std::uint64_t> head;  // the last head it reported
  bool lagging = false;               // see "Lag" above
  std::uint64_t lag_episodes = 0;     // times it started lagging
};

class EndpointPool {
 public:
  // Fails (kInvalidArgument) on no URL, a malformed URL, chain_id 0 or max_batch 0.
  // `stop` may be null; `clock` must outlive the pool.
  static Result<std::unique_ptr<EndpointPool>> create(const JsonRpcClientOptions& options,
                                                      Clock& clock, const StopFlag* stop);
  ~EndpointPool();
  EndpointPool(const EndpointPool&) = delete;
  EndpointPool& operator=(const EndpointPool&) = delete;

  // Sends the calls and returns one reply per call, in order (see the contract above).
  Result<std::vector<RpcReply>> call_batch(const std::vector<RpcCall>& calls,
                                           const CallOptions& options = {});
  Result<RpcReply> call(const RpcCall& call, const CallOptions& options = {});

  // Checks the chain id of every endpoint not yet checked. OK when at least one endpoint
  // is usable; kFailedPrecondition when all are refused; else the last transient error.
  Status verify_all();

  std::vector<EndpointHealth> health() const;
  // The highest head any endpoint reported (0 before the first head answer).
  std::uint64_t high_water_head() const;
  const JsonRpcClientOptions& options() const { return options_; }

 private:
  struct Endpoint;
  EndpointPool(JsonRpcClientOptions options, Clock& clock, const StopFlag* stop);

  // The endpoint to use now and how long to wait before using it.
  Result<std::size_t> pick(std::int64_t* wait_ms);
  Status ensure_verified(std::size_t index);
  void record_success(std::size_t index);
  void record_failure(std::size_t index, const Status& status, const std::string& retry_after);
  // Records a reported head; true when it is more than max_lag_blocks below the high-water
  // head (the endpoint lags), false when it is within (a lag episode ends).
  bool observe_head(std::size_t index, std::uint64_t head);
  // Marks the endpoint lagging (one log line per episode). True when another endpoint is
  // usable now: then the lagging one cools down and the call fails over.
  bool mark_lagging(std::size_t index, const std::string& why);
  // One round trip to endpoint `index`, reported to options_.observer (if any) per call.
  Result<std::vector<RpcReply>> send(std::size_t index, const std::vector<RpcCall>& calls,
                                     std::int64_t timeout_ms, bool logs_query,
                                     RpcRequestInfo* info);
  Result<std::vector<RpcReply>> call_chunk(const std::vector<RpcCall>& calls, std::size_t offset,
                                           const CallOptions& options);

  JsonRpcClientOptions options_;
  BackoffPolicy backoff_;
  Clock& clock_;
  const StopFlag* stop_;
  StopFlag never_stopped_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;  // health fields GUARDED_BY(mu_)
  std::mt19937_64 rng_;                               // GUARDED_BY(mu_)
  std::uint64_t high_water_head_ = 0;                 // GUARDED_BY(mu_)
};

}  // namespace claimsync::eth

// NodeMetrics: the node's named metrics (reference webhooks-and-attestation.md §5, §6.4),
// prefix `claimsync_`, durations in seconds, served at GET /metrics by the API server.
//
//   claimsync_build_info{version}                              gauge, 1
//   claimsync_sync_block{chain}                                gauge, the checkpoint
//   claimsync_chain_head_block{chain}                          gauge, highest head seen
//   claimsync_target_block{chain}                              gauge, the finality target
//                                                              (finalized / safe tag, or
//                                                              head - confirmations)
//   claimsync_blocks_behind{chain}                             gauge, target - checkpoint
//   claimsync_sync_is_realtime{chain}                          gauge, 1 when caught up
//   claimsync_claims{state}                                    gauge, store counters
//   claimsync_oldest_pending_age_seconds                       gauge
//   claimsync_rpc_reachable, claimsync_sink_reachable,         gauges, 1/0 (0 = not known
//   claimsync_sink_paused, claimsync_sink_consecutive_failures    yet, or down)
//   claimsync_ha_active                                        gauge, [ha] only: 1 while this
//                                                              node holds the pair's lease
//   claimsync_ha_takeovers_total                               counter, [ha]: times it took
//                                                              the lease
//   claimsync_mints_ingested_total{chain,source}               counter, new claims
//   claimsync_reorgs_total{chain}                              counter, rollbacks
//   claimsync_reorg_depth_blocks{chain}                        histogram, blocks rolled
//                                                              back (checkpoint - fork)
//   claimsync_rpc_requests_total{method,status=ok|error}       counter, per call attempt
//   claimsync_rpc_request_duration_seconds{method}             histogram
//   claimsync_rpc_errors_total{method,kind}                    counter, kind = rate_limited
//                                                              |timeout|connection|other
//   claimsync_db_operations_total{operation,status}            counter (MeteredSink)
//   claimsync_db_operation_duration_seconds{operation}         histogram
//   claimsync_db_errors_total{operation}                       counter, whole-call failures
//   claimsync_db_rejected_claims_total{operation}              counter, per-claim rejections
//   claimsync_hints_total{source,outcome}                      counter
//   claimsync_attestations_total{scheme,result}                counter
//   claimsync_webhook_requests_total{provider,result}          counter
//
// Label values come only from the fixed vocabularies below; a string outside its
// vocabulary is counted as "other" (so no caller can grow the series). `chain` is the
// configured chain id. method = eth_chainId, eth_blockNumber, eth_getBlockByNumber,
// eth_getLogs, eth_getTransactionReceipt, eth_call, eth_getCode, other.
//
// Thread-safe: every recording function may be called from any thread, cheaply (a few
// relaxed atomics; the string vocabularies are searched linearly over < 15 entries).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/follower.hpp"
#include "node/metrics/metrics_registry.hpp"
#include "node/status_report.hpp"
#include "rpc/rpc_observer.hpp"

namespace claimsync::node {

// hints_total source: "intake" (POST /v1/claims), "webhook" (provider webhooks).
inline constexpr std::array<std::string_view, 3> kHintSources = {"intake", "webhook", "other"};
// hints_total outcome, counted once per hint when its verification ended:
//   confirmed     the tx holds mints of the configured contract (ingested)
//   not_found     the tx was not found on chain within the watch time
//   mismatch      a successful tx without a mint of the contract (other contract, transfer,
//                 burn)
//   reverted      the tx reverted
//   duplicate     a repeat of a hint already known, answered from the store
//   invalid       malformed hint (bad hash, bad fields), refused without an RPC call
//   rate_limited  refused by the per-client or in-flight limits
//   off_chain     the receipt's block is not on the chain the node scanned (a fork)
//   error         the chain could not be read for the whole watch time
inline constexpr std::array<std::string_view, 10> kHintOutcomes = {
    "confirmed", "not_found",    "mismatch",  "reverted", "duplicate",
    "invalid",   "rate_limited", "off_chain", "error",    "other"};
// attestations_total scheme (reference §6.4); "none" when refused before the signature
// was checked (expired, self referral, ...).
inline constexpr std::array<std::string_view, 5> kAttestationSchemes = {"eoa", "erc1271", "erc6492",
                                                                        "none", "other"};
// attestations_total result: "accepted" or the refusal code of AttestationVerdict
// (node/intake/referral_attestation.hpp), "replayed" for a used nonce, "malformed" for
// an attestation that does not parse, "error" when the check could not run (RPC down).
inline constexpr std::array<std::string_view, 12> kAttestationResults = {
    "accepted",      "bad_signature", "minter_mismatch", "tx_mismatch",
    "self_referral", "expired",       "not_yet_valid",   "window_too_long",
    "replayed",      "malformed",     "error",           "other"};
// webhook_requests_total (reference §6.1 providers, §6.4 results).
inline constexpr std::array<std::string_view, 7> kWebhookProviders = {
    "thirdweb", "alchemy", "standard", "quicknode", "engine", "moralis", "other"};
// "ignored": verified, but nothing in it for this chain and contract (or a setup POST);
// "too_large": above webhooks.max_body_bytes.
inline constexpr std::array<std::string_view, 8> kWebhookResults = {
    "accepted",  "bad_signature", "stale",     "duplicate",
    "malformed", "ignored",       "too_large", "other"};
// mints_ingested_total source: how the claim was first found.
inline constexpr std::array<std::string_view, 5> kIngestSources = {"scan", "intake", "webhook",
                                                                   "rescan", "other"};
inline constexpr std::array<std::string_view, 8> kRpcMethods = {"eth_chainId",
                                                                "eth_getLogs",
                                                                "eth_getBlockByNumber",
                                                                "eth_blockNumber",
                                                                "eth_getTransactionReceipt",
                                                                "eth_call",
                                                                "eth_getCode",
                                                                "other"};

// The sink operations MeteredSink times, and how each call ended.
enum class DbOperation { kApply, kRevoke, kRecord, kPing };
inline constexpr std::array<std::string_view, 4> kDbOperations = {"apply", "revoke", "record",
                                                                  "ping"};
// ok: committed (all claims); partial: committed, some claims rejected (see rejected);
// unavailable / timeout / cancelled: outcome unknown (membership_sink.hpp); schema:
// kFailedPrecondition; error: anything else.
enum class DbStatus { kOk, kPartial, kUnavailable, kTimeout, kCancelled, kSchema, kError };
inline constexpr std::array<std::string_view, 7> kDbStatuses = {
    "ok", "partial", "unavailable", "timeout", "cancelled", "schema", "error"};
DbStatus db_status_of(const Status& status, std::size_t rejected);

class NodeMetrics {
 public:
  // `chain_id` labels the follower's series; `version` is build_info's.
  NodeMetrics(std::uint64_t chain_id, std::string version);
  NodeMetrics(const NodeMetrics&) = delete;
  NodeMetrics& operator=(const NodeMetrics&) = delete;

  // ---- called by the intake, the webhooks and the attestation check ---------------------
  void hint(std::string_view source, std::string_view outcome);
  void attestation(std::string_view scheme, std::string_view result);
  void webhook_request(std::string_view provider, std::string_view result);
  void mints_ingested(std::string_view source, std::uint64_t count);

  // ---- called by the node's own parts ---------------------------------------------------
  // The follower's step hook (Follower::set_on_step): new claims of committed ranges
  // (source scan), rollbacks and their depth.
  void follower_step(const FollowerStep& step);
  void rpc_attempt(const eth::RpcAttempt& attempt);
  // For JsonRpcClientOptions::observer. REQUIRES: this outlives the client.
  eth::RpcObserver rpc_observer();
  // One sink call (MeteredSink).
  void db_operation(DbOperation op, DbStatus status, double seconds, std::size_t rejected);

  // Where the scrape-time gauges come from (the daemon's live status report). Empty: those
  // gauges stay unset. Set before the first render().
  void set_status_source(std::function<StatusReport()> source);

  // Refreshes the scrape-time gauges, then renders every metric (text format 0.0.4).
  std::string render();
  MetricsRegistry& registry() { return registry_; }

 private:
  // The series of a family over a fixed vocabulary, created on first use (so a scrape
  // shows only series that happened, and never more than the vocabulary allows).
  template <typename Metric>
  class Lazy {
   public:
    Lazy(Family<Metric>& family, std::vector<std::vector<std::string_view>> vocabularies);
    Metric& at(const std::vector<std::size_t>& index);  // one index per vocabulary

   private:
    Family<Metric>& family_;
    std::vector<std::vector<std::string_view>> vocabularies_;
    std::vector<std::atomic<Metric*>> slots_;  // row-major over the vocabularies
  };
  void refresh();

  MetricsRegistry registry_;
  const std::string chain_label_;  // the chain id: the one value of every `chain` label
  std::mutex source_mu_;
  std::function<StatusReport()> status_source_;  // GUARDED_BY(source_mu_)

  Gauge& sync_block_;
  Gauge& chain_head_;
  Gauge& target_;
  Gauge& blocks_behind_;
  Gauge& realtime_;
  GaugeFamily& claims_;
  Gauge& oldest_pending_;
  Gauge& rpc_reachable_;
  Gauge& sink_reachable_;
  Gauge& sink_paused_;
  Gauge& sink_failures_;
  Gauge& ha_active_;
  Counter& ha_takeovers_;
  Lazy<Counter> mints_;  // [source]
  Counter& reorgs_;
  Histogram& reorg_depth_;
  Lazy<Counter> rpc_requests_;    // [method][ok, error]
  Lazy<Histogram> rpc_duration_;  // [method]
  Lazy<Counter> rpc_errors_;      // [method][kind]
  Lazy<Counter> db_calls_;        // [operation][status]
  Lazy<Histogram> db_duration_;   // [operation]
  Lazy<Counter> db_errors_;       // [operation]
  Lazy<Counter> db_rejected_;     // [operation]
  Lazy<Counter> hints_;           // [source][outcome]
  Lazy<Counter> attestations_;    // [scheme][result]
  Lazy<Counter> webhooks_;        // [provider][result]
};

}  // namespace claimsync::node

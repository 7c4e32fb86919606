// IntakeService: the ClaimIntake of a running node. A hint (a tx hash, optionally with a
// referral attestation) is verified on chain by a bounded pool of workers, and what the
// receipt says is ingested through NodeStore::ingest_hint (DESIGN §2, §8):
//
//   submit() ──> tracked entry (one per tx, deduplicated) ──> ready queue ──> worker:
//     receipt(tx) ─ unknown: watched, re-checked every recheck_ms until watch_ms ends
//                 ─ reverted / no mint of a configured level by the contract: no claim
//                 ─ mints: claims from the receipt's logs (node/mint_claims), the block's
//                   header checked against the receipt, attestations checked, then
//                   at_once:    ingest_hint now (replicated before the block is final;
//                               the follower's scan later confirms or takes it off)
//                   when_final: re-checked until the store's checkpoint covers the block,
//                               then ingest_hint (the scan found it; the hint adds the
//                               referrer)
//
// Contract:
//   * submit() never waits on the RPC and never blocks on a worker: it answers from the
//     entry (202 "verifying" until the receipt is checked) in well under 100 ms.
//   * Bad input is 400 and changes nothing. More than queue_limit hints being verified,
//     or max_tracked entries none of which can be forgotten, is 429.
//   * An RPC failure is never an answer about the claim: the entry stays "verifying"
//     and is re-checked with backoff until watch_ms ends ("unknown", error named).
//   * An invalid attestation never blocks its claim: the claim goes in without referrer
//     and the answer says why the attestation was refused.
//   * Bounded: at most `workers` verifications in flight, max_tracked entries, at most
//     kMaxAttestationsPerTx attestations waiting per tx.
//
// Threading: submit() from any thread; start()/stop() from the owner. REQUIRES: `chain`,
// `store`, `clock` and `stop` outlive the service (stop() before destroying them).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "node/intake/claim_intake.hpp"
#include "node/intake/referral_attestation.hpp"
#include "node/mint_claims.hpp"
#include "rpc/chain_source.hpp"
#include "rpc/clock.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {

enum class IntakeReplicate { kAtOnce, kWhenFinal };

struct IntakeOptions {
  std::uint64_t chain_id = 0;
  eth::Address contract;
  std::vector<std::uint32_t> levels;
  IntakeReplicate replicate = IntakeReplicate::kAtOnce;
  std::size_t workers = 4;           // verifications in flight (a global cap on RPC use)
  std::size_t queue_limit = 1024;    // hints not yet answered (queued, verifying, watched)
  std::size_t max_tracked = 10'000;  // entries kept (answers of finished ones are cached)
  std::int64_t watch_ms = 300'000;   // how long an unknown tx (or a failing RPC) is re-checked
  std::int64_t recheck_ms = 1'000;   // between checks of a watched tx
  std::uint32_t source = store::kSourceIntake;
};

// What the intake reports, for metrics and logs (all optional).
struct IntakeHooks {
  // After claims went into the store (wake the replicator).
  std::function<void()> on_ingested;
  // One per finished hint (claimsync_hints_total outcomes, node/metrics/node_metrics.hpp):
  // "confirmed" | "not_found" | "mismatch" (no mint of the contract) | "reverted" |
  // "off_chain" (the receipt's block is not on the scanned chain) | "error". `source` is
  // the ClaimSource of the submit that made the entry (store::kSourceIntake, ...Webhook).
  std::function<void(std::uint32_t source, const std::string& outcome)> on_hint;
  // One per checked attestation: scheme ("eoa" | "erc1271" | "erc6492" | "none") and
  // result ("accepted" | "replayed" | a refusal code).
  std::function<void(const std::string& scheme, const std::string& result)> on_attestation;
};

// The attestation checks, injectable so the intake is tested without the real verifier.
struct AttestationChecks {
  std::function<Result<ReferralAttestation>(const nlohmann::json&)> parse;
  std::function<Result<AttestationVerdict>(const ReferralAttestation&, const AttestationContext&)>
      verify;
};
// The real ones (parse_referral_attestation, verify_referral_attestation on `chain`).
AttestationChecks default_attestation_checks(eth::ChainSource& chain);

class IntakeService final : public ClaimIntake {
 public:
  static constexpr std::size_t kMaxAttestationsPerTx = 4;

  IntakeService(eth::ChainSource& chain, store::NodeStore& store, Clock& clock,
                const StopFlag& stop, IntakeOptions options, AttestationChecks checks,
                IntakeHooks hooks = {});
  ~IntakeService() override;  // stops the workers
  IntakeService(const IntakeService&) = delete;
  IntakeService& operator=(const IntakeService&) = delete;

  void start();  // starts the workers (once)
  void stop();   // ends the workers after their call in flight (each call is bounded)

  ApiReply submit(const nlohmann::json& body) override;
  // The same for a hint that is already parsed (webhooks): `source` is its ClaimSource.
  // `recheck` (a provider says the tx was reorged out or reverted): an entry that already
  // finished is verified again now, at most once per recheck_ms; it never removes a claim
  // by itself (the follower's scan decides what is on chain).
  ApiReply submit_hint(const eth::Hash32& tx, std::optional<ReferralAttestation> attestation,
                       std::uint32_t source, bool recheck = false);

  struct Stats {
    std::size_t tracked = 0;
    std::size_t open = 0;  // queued, verifying or watched
  };
  Stats stats() const;

  // The verdict on `tx` once its verification finished; nullopt while it is still being
  // verified or when it is not tracked (an entry may be forgotten after it finished, to
  // keep max_tracked). For callers that verify hints in bulk (reconcile
  // --import-origin-queue) and need the outcome by tx rather than the HTTP answer.
  struct Verdict {
    std::string status;   // as the answer: claimed, no_claim, not_found, unknown, mismatch
    std::string reason;   // why, for a human ("" for claimed)
    std::string outcome;  // as hooks.on_hint: confirmed, not_found, mismatch, reverted, ...
    std::optional<eth::BlockPin> block;
    std::vector<store::Claim> claims;  // from the receipt (claimed, mismatch)
  };
  std::optional<Verdict> verdict(const eth::Hash32& tx) const;

 private:
  enum class Phase { kQueued, kVerifying, kWatching, kAwaitingFinal, kFinished };
  struct Entry {
    eth::Hash32 tx;
    std::uint32_t sources = 0;
    std::uint32_t first_source = 0;  // the submit that made the entry (for hint metrics)
    Phase phase = Phase::kQueued;
    std::int64_t first_seen_ms = 0;
    std::int64_t next_check_ms = 0;
    std::int64_t finished_at_ms = 0;
    std::uint32_t failures = 0;
    bool reported = false;             // its outcome went to hooks.on_hint
    std::string status = "verifying";  // the answer's "status"
    std::string reason;                // why, for a human
    std::string last_error;            // the last RPC failure while verifying
    std::string outcome;               // once finished: the hooks.on_hint outcome
    std::optional<eth::BlockPin> block;
    std::vector<store::Claim> claims;                 // from the receipt, once verified
    std::vector<ReferralAttestation> attestations;    // every one received (deduplicated)
    std::size_t attestations_checked = 0;             // the first N have a result
    std::vector<nlohmann::json> attestation_results;  // of those, for the answer
  };

  void worker_loop();
  // Takes the next entry due (ready queue first, then the earliest watched); its tx.
  std::optional<eth::Hash32> take_work(std::int64_t now_ms, std::int64_t& sleep_ms);
  void verify(const eth::Hash32& tx);
  // Under mu_: schedules a re-check, or finishes the entry when its watch ran out.
  void watch_locked(Entry& e, std::int64_t now_ms, const std::string& why);
  void finish_locked(Entry& e, const std::string& status, const std::string& reason,
                     const std::string& outcome);
  nlohmann::json answer_locked(const Entry& e) const;
  bool make_room_locked();
  std::size_t open_locked() const;

  eth::ChainSource& chain_;
  store::NodeStore& store_;
  Clock& clock_;
  const StopFlag& stop_;
  const IntakeOptions options_;
  const MintClaimRules rules_;
  const AttestationChecks checks_;
  const IntakeHooks hooks_;
  Wakeup wake_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;     // GUARDED_BY(mu_); by tx hex
  std::deque<eth::Hash32> ready_;                      // GUARDED_BY(mu_)
  std::multimap<std::int64_t, eth::Hash32> rechecks_;  // GUARDED_BY(mu_); due time
  std::deque<std::string> finished_order_;             // GUARDED_BY(mu_); oldest first
  bool stopping_ = false;                              // GUARDED_BY(mu_)
  std::vector<std::thread> workers_;
};

}  // namespace claimsync::node

// NodeStore: the node's durable state in one RocksDB data dir (DESIGN §4, §5).
//
// Contract:
//   * Every mutating call is one WriteBatch written with sync=true: after it returns OK
//     the change survives kill -9 and power loss; after it fails nothing of it is visible.
//   * After a failed write the store refuses further writes (kFailedPrecondition) and
//     logs loudly; the operator restarts the node, which reopens and recovers.
//   * Counters per ClaimState and the due-index are updated in the same batch as the
//     claim they describe, so they always equal a full recount.
//   * Thread-safe: one writer at a time (internal mutex); reads may run concurrently.
//   * Illegal state transitions are rejected with kFailedPrecondition and change nothing.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rpc/address.hpp"
#include "rpc/hash32.hpp"
#include "rpc/status.hpp"
#include "storage/claim.hpp"

namespace claimsync::store {

// What a data dir is bound to. Opening it with a different identity is an error.
struct StoreIdentity {
  std::uint64_t chain_id = 0;
  eth::Address contract;
  std::uint64_t start_block = 0;
};

struct BlockRecord {
  std::uint64_t number = 0;
  eth::Hash32 hash;
  eth::Hash32 parent_hash;
};

struct BlockRange {  // inclusive on both ends
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  auto operator<=>(const BlockRange&) const = default;
};

struct StateCounters {
  std::array<std::uint64_t, kClaimStateCount> by_state{};
  std::uint64_t of(ClaimState s) const { return by_state[static_cast<int>(s)]; }
  std::uint64_t total() const;
};

struct IngestOutcome {
  bool created = false;       // a new claim key
  bool revived = false;       // an orphaned/revoked/revoking claim is canonical again
  std::uint32_t sources = 0;  // merged sources after ingest
  ClaimState state = ClaimState::kPending;
  std::optional<eth::Address> referrer;  // the claim's referrer after ingest (first wins)
  bool referral_replayed = false;        // ingest_hint: the nonce was used by another claim
};

struct CommitOutcome {
  std::uint64_t claims_new = 0;
  std::uint64_t claims_known = 0;  // already present (sources merged)
  std::uint64_t claims_revived = 0;
  std::uint64_t claims_moved = 0;    // hint claims the scan found in another block
  std::uint64_t claims_unfound = 0;  // hint claims the scan did not find: taken off
};

struct RollbackOutcome {
  std::uint64_t orphaned = 0;  // never-sent pending claims above the fork -> orphaned
  std::uint64_t revoking = 0;  // done or sent claims above the fork -> revoking
  std::uint64_t blocks_dropped = 0;
};

// What the replicator asked of the sink.
enum class SinkOp { kApply, kRevoke };

// What requeue_for_repair did.
struct RequeueOutcome {
  std::uint64_t requeued = 0;
  std::uint64_t skipped = 0;  // in a state the repair does not move (listed in `skipped_keys`)
  std::vector<ClaimKey> skipped_keys;
};

struct SettleOutcome {
  std::uint64_t settled = 0;  // moved to done / revoked / pending (reapply)
  std::uint64_t skipped = 0;  // moved by a reorg meanwhile: left as they are
};

class NodeStore {
 public:
  static constexpr std::uint32_t kSchemaVersion = 1;

  // Opens (creating if absent) the data dir at `path`. A new dir records `identity`; an
  // existing one must match it exactly (kFailedPrecondition naming the differing field),
  // and its schema version must be <= kSchemaVersion (else: "data dir written by a newer
  // claimsync (schema N); upgrade the binary").
  static Result<std::unique_ptr<NodeStore>> open(const std::string& path,
                                                 const StoreIdentity& identity);
  // Opens an existing dir read-only-ish for offline tools (status, claims list) without
  // knowing the identity: reads it from meta. kNotFound if the dir has no store.
  static Result<std::unique_ptr<NodeStore>> open_existing(const std::string& path);

  virtual ~NodeStore() = default;
  NodeStore(const NodeStore&) = delete;
  NodeStore& operator=(const NodeStore&) = delete;

  virtual StoreIdentity identity() const = 0;

  // ---- follower ----------------------------------------------------------------------
  // Last block of the contiguous scanned prefix starting at start_block; nullopt if none.
  virtual std::optional<std::uint64_t> checkpoint() const = 0;
  // Records that [range.from, range.to] was scanned: ingests `claims` (source bits as set
  // in each claim, idempotent; a claim off the chain is revived: orphaned / revoked ->
  // pending; revoking -> pending when seen in the block it was sent in, else it stays
  // revoking with reapply_after_revoke and the new block), stores `blocks` in the hash window,
  // merges the range mark, advances the checkpoint contiguously. One synced batch.
  // The scan is the truth for its range, over claims that hints put there ahead of it:
  //   * a stored claim in a live state seen in another block (same key, the block was
  //     replaced) takes the scanned block; if the sink may hold it (done or sent) it is
  //     revoked first and applied again (revoking with reapply_after_revoke);
  //   * a stored claim in the range that no scan has ever seen (only hints) and that this
  //     scan did not find is taken off the chain as by rollback_to: orphaned, or revoking
  //     when the sink may hold it.
  // REQUIRES: every claim's block_number within the range; kInvalidArgument otherwise.
  virtual Result<CommitOutcome> commit_range(const BlockRange& range,
                                             const std::vector<BlockRecord>& blocks,
                                             const std::vector<Claim>& claims,
                                             std::int64_t now_ms) = 0;
  // Stored block of the hash window, if any.
  virtual std::optional<BlockRecord> block(std::uint64_t number) const = 0;
  // Stored blocks with number <= `at_or_below`, highest first, at most `limit`.
  virtual std::vector<BlockRecord> blocks_descending(std::uint64_t at_or_below,
                                                     std::size_t limit) const = 0;
  // Rolls back everything above `fork_point` (the highest block still canonical): drops
  // stored blocks and range marks above it, moves claims in blocks above it to orphaned
  // (pending/retrying/dead never sent to the sink) or revoking (done, or sent: the sink may
  // hold their rows; due now; a pending reapply is dropped). Checkpoint <= fork_point.
  virtual Result<RollbackOutcome> rollback_to(std::uint64_t fork_point, std::int64_t now_ms) = 0;
  // Drops stored blocks below `number` (they are final; keeps the window bounded).
  virtual Status prune_blocks_below(std::uint64_t number) = 0;

  // Merged scanned ranges, ascending.
  virtual std::vector<BlockRange> ranges() const = 0;
  // Sub-ranges of [from, to] not covered by any scanned range, ascending.
  virtual std::vector<BlockRange> holes(std::uint64_t from, std::uint64_t to) const = 0;

  // ---- intake / reconcile / rescan ---------------------------------------------------
  // The single entry point for a claim seen outside a range commit. Idempotent on the key:
  // a known claim only gains `claim.sources` bits (and a referrer if it had none).
  virtual Result<IngestOutcome> ingest(const Claim& claim, std::int64_t now_ms) = 0;
  // A hint's claim (intake, webhook), verified from a receipt that may not be final. Like
  // ingest(), with the rules that keep a hint from overriding the scan (DESIGN §8):
  //   * its block lies in a scanned range: the scan has decided. A known claim in a live
  //     state (pending, retrying, dead, done) gains the source bits (and a referrer if it
  //     had none); an unknown key, or one the scan took off the chain (orphaned,
  //     revoking, revoked), is kFailedPrecondition and nothing is written (the receipt
  //     came from a fork, or an endpoint that is behind or lying).
  //   * above every scanned range: ingested like ingest() (early replication); the
  //     follower's scan of that block later confirms it, moves it, or takes it off the
  //     chain (commit_range).
  //   * `referral_nonce` (only with claim.referrer): recorded for (referrer's minter =
  //     claim.wallet, nonce) in the same batch. A nonce already recorded for another
  //     claim key is a replay: the claim goes in without the referrer and the outcome says
  //     referral_replayed. The same claim key again is a duplicate hint, not a replay.
  // The check and the write happen under the store's write lock, so a concurrent range
  // commit cannot slip in between.
  virtual Result<IngestOutcome> ingest_hint(const Claim& claim,
                                            const std::optional<eth::Hash32>& referral_nonce,
                                            std::int64_t now_ms) = 0;
  // Reconcile repair (issue 14, `claimsync reconcile --repair`): hands claims back to the
  // replicator so that the normal path rewrites what the sink holds. Per claim:
  //   kApply:  a done claim -> revoking with reapply_after_revoke, due now: the replicator
  //            revokes what the sink holds of it, then applies it again (the state machine
  //            has no done -> pending; this is the path of a claim whose block moved).
  //            Between the two steps its membership row may be absent.
  //   kRevoke: a claim the chain does not hold, whose rows the sink may hold: pending,
  //            retrying, done, dead -> revoking; orphaned, revoked -> revoking by way of
  //            pending in the same batch; sent_to_sink set, due now. An unknown key is
  //            inserted from `claim` (its wallet, level, source bits) the same way. Each
  //            ends revoked like any revoke (a revoke of rows the sink lacks changes only
  //            the ledger row).
  // Claims in other states are skipped (counted, unchanged). One synced batch.
  virtual Result<RequeueOutcome> requeue_for_repair(SinkOp op, const std::vector<Claim>& claims,
                                                    std::int64_t now_ms) = 0;

  // ---- replicator --------------------------------------------------------------------
  // Claims in pending / retrying / revoking with next_attempt_at_ms <= now_ms, oldest due
  // first, at most `limit`. Cost O(limit), not O(outbox).
  virtual Result<std::vector<Claim>> due(std::int64_t now_ms, std::size_t limit) const = 0;
  // Earliest next_attempt_at_ms among due-indexed claims, if any (for sleeping).
  virtual std::optional<std::int64_t> next_due_at() const = 0;
  // pending/retrying -> done; revoking -> revoked (or -> pending when
  // reapply_after_revoke). Keys in other states: kFailedPrecondition, and nothing in the
  // call is applied. (Tools and tests; the replicator uses settle().)
  virtual Status mark_replicated(const std::vector<ClaimKey>& keys, std::int64_t now_ms) = 0;
  // Before the replicator hands claims to the sink: of `taken` (claims as due() returned
  // them), returns those the store still wants `op` for, as they are now in the store
  // (kApply: pending/retrying; kRevoke: revoking), in the order of `taken`, without
  // duplicates, with sent_to_sink set (one synced batch; nothing written when all were
  // marked). From then on a reorg revokes them rather than orphaning them, since the sink
  // may hold their rows whatever the call's outcome. Exactly the returned claims may be
  // handed to the sink: one that a reorg moved since due() (orphaned, or revived, or
  // unknown) is left out, because nothing would ever undo rows of an orphaned claim; its
  // new state is due work of its own, or none. Errors: the store's (nothing returned).
  virtual Result<std::vector<Claim>> mark_sent(SinkOp op, const std::vector<Claim>& taken) = 0;
  // After the sink committed `op` for `sent` (the claims as handed to it): settles each
  // claim the store still wants exactly that for, and leaves the others alone, because a
  // reorg moved them meanwhile and their new state is already due work that converges:
  //   kApply:  pending/retrying with the block hash sent -> done
  //   kRevoke: revoking -> revoked, or -> pending (due now) when reapply_after_revoke
  // One synced batch. Errors: the store's.
  virtual Result<SettleOutcome> settle(SinkOp op, const std::vector<Claim>& sent,
                                       std::int64_t now_ms) = 0;
  // A claim-specific failure of `op`: attempts+1, last_error set; -> retrying due at
  // `retry_at_ms`, or -> dead when attempts reaches `max_attempts` (revoking stays
  // revoking, due at retry_at_ms). A claim not awaiting `op` (pending/retrying for kApply,
  // revoking for kRevoke; a reorg moved it meanwhile) is kFailedPrecondition, unchanged.
  virtual Result<ClaimState> mark_failed(const ClaimKey& key, const std::string& error,
                                         std::int64_t retry_at_ms, std::uint32_t max_attempts,
                                         std::int64_t now_ms,
                                         std::optional<SinkOp> op = std::nullopt) = 0;
  // Operator retry: dead -> pending, attempts reset, due now.
  virtual Status retry_dead(const ClaimKey& key, std::int64_t now_ms) = 0;

  // ---- queries -----------------------------------------------------------------------
  virtual std::optional<Claim> get(const ClaimKey& key) const = 0;
  // Claims in `state`, key order, starting after `after` (pagination), at most `limit`.
  virtual std::vector<Claim> list_by_state(ClaimState state, std::size_t limit,
                                           const std::optional<ClaimKey>& after = {}) const = 0;
  virtual std::vector<Claim> list_by_tx(std::uint64_t chain_id, const eth::Hash32& tx) const = 0;
  virtual std::vector<Claim> list_by_wallet(const eth::Address& wallet,
                                            std::size_t limit) const = 0;
  virtual StateCounters counters() const = 0;
  // Oldest created_at_ms among pending/retrying claims (status: oldest pending age).
  virtual std::optional<std::int64_t> oldest_pending_created_ms() const = 0;

  // Small operator-visible key/value notes (last error, last head seen), not synced.
  virtual Status put_note(const std::string& name, const std::string& value) = 0;
  virtual std::optional<std::string> note(const std::string& name) const = 0;

 protected:
  NodeStore() = default;
};

}  // namespace claimsync::store

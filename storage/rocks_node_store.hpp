// RocksNodeStore: the NodeStore on RocksDB (layout in store_layout.hpp).
//
// How the contract of node_store.hpp is kept:
//   * A mutation reads what it needs, builds one WriteBatch (claim + every index entry +
//     counters + range marks + checkpoint), writes it with sync=true, and only then
//     updates the in-memory mirrors (counters, range set, scan floors). A failed write
//     leaves the mirrors untouched and poisons the store for writes.
//   * write_mu_ serialises mutations (read-modify-write); mirror_mu_ lets readers copy
//     the mirrors while a mutation is in flight.
//   * The due and age indexes are queues: work drains from their head, leaving
//     tombstones there. A "floor" per queue remembers where live entries start, so a
//     scan seeks past the tombstones: due() costs O(limit), not O(drained).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "storage/node_store.hpp"
#include "storage/range_set.hpp"
#include "storage/recent_claims.hpp"
#include "storage/rocks_db.hpp"

namespace claimsync::store {

class Mutation;

// A lower bound on the live keys of a queue-like index, shared by readers and writers.
// Writers lower it after a durable write that added a key; readers raise it after a scan
// found nothing live below some key, unless a writer lowered it meanwhile.
class ScanFloor {
 public:
  struct Snapshot {
    std::string floor;
    std::uint64_t generation = 0;
  };
  Snapshot snapshot() const;
  void lower_to(const std::string& key);
  void raise_to(const Snapshot& seen, const std::string& key);

 private:
  mutable std::mutex mu_;
  std::string floor_;  // "" = the start of the index
  std::uint64_t generation_ = 0;
};

class RocksNodeStore final : public NodeStore {
 public:
  // `expected` null: open an existing dir and take its identity from meta.
  // `env` (tests only): a RocksDB environment, e.g. one that injects write failures.
  static Result<std::unique_ptr<RocksNodeStore>> open(const std::string& path,
                                                      const StoreIdentity* expected,
                                                      rocksdb::Env* env = nullptr);
  ~RocksNodeStore() override;

  StoreIdentity identity() const override { return identity_; }

  std::optional<std::uint64_t> checkpoint() const override;
  Result<CommitOutcome> commit_range(const BlockRange& range,
                                     const std::vector<BlockRecord>& blocks,
                                     const std::vector<Claim>& claims,
                                     std::int64_t now_ms) override;
  std::optional<BlockRecord> block(std::uint64_t number) const override;
  std::vector<BlockRecord> blocks_descending(std::uint64_t at_or_below,
                                             std::size_t limit) const override;
  Result<RollbackOutcome> rollback_to(std::uint64_t fork_point, std::int64_t now_ms) override;
  Status prune_blocks_below(std::uint64_t number) override;
  std::vector<BlockRange> ranges() const override;
  std::vector<BlockRange> holes(std::uint64_t from, std::uint64_t to) const override;

  Result<IngestOutcome> ingest(const Claim& claim, std::int64_t now_ms) override;
  Result<IngestOutcome> ingest_hint(const Claim& claim,
                                    const std::optional<eth::Hash32>& referral_nonce,
                                    std::int64_t now_ms) override;
  Result<RequeueOutcome> requeue_for_repair(SinkOp op, const std::vector<Claim>& claims,
                                            std::int64_t now_ms) override;

  Result<std::vector<Claim>> due(std::int64_t now_ms, std::size_t limit) const override;
  std::optional<std::int64_t> next_due_at() const override;
  Status mark_replicated(const std::vector<ClaimKey>& keys, std::int64_t now_ms) override;
  Result<std::vector<Claim>> mark_sent(SinkOp op, const std::vector<Claim>& taken) override;
  Result<SettleOutcome> settle(SinkOp op, const std::vector<Claim>& sent,
                               std::int64_t now_ms) override;
  Result<ClaimState> mark_failed(const ClaimKey& key, const std::string& error,
                                 std::int64_t retry_at_ms, std::uint32_t max_attempts,
                                 std::int64_t now_ms,
                                 std::optional<SinkOp> op = std::nullopt) override;
  Status retry_dead(const ClaimKey& key, std::int64_t now_ms) override;

  std::optional<Claim> get(const ClaimKey& key) const override;
  std::vector<Claim> list_by_state(ClaimState state, std::size_t limit,
                                   const std::optional<ClaimKey>& after = {}) const override;
  std::vector<Claim> list_by_tx(std::uint64_t chain_id, const eth::Hash32& tx) const override;
  std::vector<Claim> list_by_wallet(const eth::Address& wallet, std::size_t limit) const override;
  StateCounters counters() const override;
  std::optional<std::int64_t> oldest_pending_created_ms() const override;

  Status put_note(const std::string& name, const std::string& value) override;
  std::optional<std::string> note(const std::string& name) const override;

  // The identity recorded in `db`'s meta; nullopt for a dir never bound. Fails when the
  // dir was written by a newer schema.
  static Result<std::optional<StoreIdentity>> read_identity(const RocksDb& db);

  // The raw database, for invariant checks (node_store_check.hpp).
  RocksDb& rocks() { return *db_; }

 private:
  explicit RocksNodeStore(std::unique_ptr<RocksDb> db) : db_(std::move(db)) {}

  Status bind_identity(const StoreIdentity* expected);
  Status load_mirrors();

  // Claims by key, in the order of `keys`; absent keys are nullopt. `use_recent`: take
  // claims the last due() handed out from memory (write paths only, under write_mu_).
  // `read` carries the snapshot when the keys came from an index read at that snapshot.
  Result<std::vector<std::optional<Claim>>> read_claims(
      const std::vector<ClaimKey>& keys, bool use_recent = false,
      const rocksdb::ReadOptions& read = rocksdb::ReadOptions()) const;
  Result<std::optional<Claim>> read_claim(const ClaimKey& key) const;
  // Claims named by the index keys [it from `prefix` / `start`], at most `limit`.
  std::vector<Claim> claims_from_index(layout::Cf cf, const std::string& prefix,
                                       const std::string& start, std::size_t limit) const;
  std::optional<std::int64_t> head_time(layout::Cf cf, ScanFloor& floor) const;

  Status check_writable(const char* op) const;
  // A list/query read that failed part-way (the iterator's status): logged, and the store
  // refuses writes from now on, since the caller cannot tell "nothing there" from "could
  // not read" (e.g. the follower's continuity check would be skipped). False if `st` is
  // an error.
  bool read_ok(const rocksdb::Status& st, const char* op) const;
  // Adds counters and the checkpoint to the batch, writes it synced, then applies the
  // mirrors. Poisons the store on failure.
  Status commit(Mutation& m, const char* op);
  // One unsynced meta put (notes). Poisons the store on failure.
  // REQUIRES: write_mu_ held.
  Status put_meta_unsynced(const std::string& key, const std::string& value, const char* op);
  std::optional<std::uint64_t> checkpoint_locked() const;

  std::unique_ptr<RocksDb> db_;
  StoreIdentity identity_;

  std::mutex write_mu_;                        // one mutation at a time
  mutable std::shared_mutex mirror_mu_;        // writers also hold write_mu_
  StateCounters counters_;                     // GUARDED_BY(mirror_mu_)
  RangeSet ranges_;                            // GUARDED_BY(mirror_mu_)
  mutable std::atomic<bool> poisoned_{false};  // set by a failed write or read

  mutable ScanFloor due_floor_;
  mutable ScanFloor age_floor_;
  mutable RecentClaims recent_;
};

}  // namespace claimsync::store

// LanedSink: a MembershipSink over N sinks of the same database ("lanes", e.g. N
// connections to one Postgres) that writes a large apply() on all of them at once.
//
// Why: one Postgres connection is one server process on one core, and replication of a
// backlog is CPU-bound on the server (index probes, CHECKs, FK triggers), so a second
// connection roughly doubles what the database takes in on a machine with the cores to
// spare (issue 11; bench/RESULTS.md). The replicator stays as it is: one thread, one
// call at a time, the same commit-then-settle order.
//
// How a call is split: an apply() of at least `min_split_claims` claims is partitioned by
// wallet (lane = a hash of the address), so every row a lane writes (its claims' ledger
// rows, and the users / members / membership rows of its wallets, including those a moved
// claim's re-apply touches) belongs to that lane alone in this call. Lanes never wait for
// each other's row locks; the only rows they share are read-only (the lease row, under FOR
// SHARE). Lane 0 runs on the calling thread, the others on one thread each for the call.
// Smaller applies, every revoke() and record(), and ping() go to lane 0 whole, in one
// transaction as before.
//
// A lane the server rolled back for a conflict with another lane (a deadlock, which only
// the application's own triggers can cause: pg_connection.hpp is_conflict_rollback) has
// its part written again on lane 0 after the others finished, with a log line.
//
// Results: the rejections of all lanes; the status is OK when every lane's is. Otherwise it
// is the first failing lane's (by lane order), and the other lanes MAY have committed:
// a whole-call failure means "outcome unknown" for every claim of the call, which the
// replicator already treats so (it replays them; apply is idempotent). This holds for
// kFailedPrecondition too, which a single sink returns with nothing committed.
//
// Thread-safety: like every sink, owned by one thread; during a call it uses each lane from
// one thread only, and returns only when every lane's call returned (each is bounded by
// its own SinkOptions). REQUIRES: at least one lane; all lanes write the same database.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "storage/membership_sink.hpp"

namespace claimsync::store {

class LanedSink final : public MembershipSink {
 public:
  // Below this many claims an apply() goes to lane 0 whole: a live node's small batches
  // gain nothing from a split and would pay a thread per call.
  static constexpr std::size_t kDefaultMinSplitClaims = 256;

  explicit LanedSink(std::vector<std::unique_ptr<MembershipSink>> lanes,
                     std::size_t min_split_claims = kDefaultMinSplitClaims);

  Status ping() override;
  SinkResult apply(const std::vector<Claim>& claims) override;
  SinkResult revoke(const std::vector<Claim>& claims) override;
  Status record(const std::vector<LedgerUpdate>& updates) override;

  std::size_t lanes() const { return lanes_.size(); }

  // The lane of a wallet among `lanes` (deterministic; spreads addresses evenly).
  static std::size_t lane_of(const eth::Address& wallet, std::size_t lanes);

 private:
  std::vector<std::unique_ptr<MembershipSink>> lanes_;
  std::size_t min_split_claims_;
};

}  // namespace claimsync::store

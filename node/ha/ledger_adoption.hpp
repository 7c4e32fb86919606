// Ledger adoption: what a node does with the sink's ledger when it becomes the active node
// of a pair ([ha], issue 15), before it replicates anything.
//
// The two nodes' stores can disagree about what the sink holds: the old active node applied
// claims (a hint's early replication, blocks this node had not scanned yet, or scanned
// before a reorg this node never saw) and may have died before it revoked them. Once this
// node holds the lease nobody else writes, so the ledger (claim_sync_queue) is final for
// the old holder; every row of this chain is looked at once and settled by this node's
// own rules:
//   * a row not 'revoked' (the sink may hold its membership rows) whose claim this store
//     lacks: in a block this node has scanned, the scan found no such mint, so it is
//     revoked; above the scanned blocks it is ingested as a hint's claim (source takeover,
//     marked sent), which the follower's scan of its block confirms, moves or takes off the
//     chain (revoked, since the sink may hold it);
//   * a row not 'revoked' whose claim this store holds as orphaned or revoked: revoked;
//   * a 'revoked' row whose claim this store holds as done: applied again (the sink lacks
//     what the store believes it holds);
//   * everything else: the store's own due work already converges.
// All writes go through the store (NodeStore::ingest_hint / requeue_for_repair) and reach
// the sink by the normal replicator path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "rpc/clock.hpp"
#include "rpc/status.hpp"
#include "storage/claim.hpp"
#include "storage/node_store.hpp"

namespace claimsync::store {
class PgConnection;
}

namespace claimsync::node {

enum class AdoptionAction {
  kNone,        // the store's own work converges
  kIngestHint,  // unknown to the store, above its scanned blocks
  kRevoke,      // the sink may hold rows the chain (as this node scanned it) does not back
  kReapply,     // the sink revoked what the store holds as done
};

// The rule above, as a pure function. `ledger_status` is the row's status; `block_scanned`
// whether the row's block lies in a range this store has scanned.
AdoptionAction adoption_action(const std::string& ledger_status,
                               const std::optional<store::Claim>& stored, bool block_scanned);

struct AdoptionOutcome {
  std::uint64_t rows = 0;  // ledger rows of this chain looked at
  std::uint64_t hinted = 0;
  std::uint64_t revoked = 0;
  std::uint64_t reapplied = 0;
  std::uint64_t unreadable = 0;  // rows that do not parse (not claimsync's): left alone
};

// Reads the ledger of `chain_id` through `conn` in pages (memory bounded by the page) and
// applies adoption_action to each row. Each query bounded by the connection's call
// options; stops early (kCancelled) when `stop` is requested. Errors: the connection's
// (kUnavailable / kTimeout ...), the store's.
Result<AdoptionOutcome> adopt_sink_ledger(store::PgConnection& conn, store::NodeStore& store,
                                          std::uint64_t chain_id, Clock& clock,
                                          const StopFlag* stop = nullptr);

}  // namespace claimsync::node

// Rescan: the operator's idempotent re-scan of a block range (`claimsync rescan`), run
// offline against the node's store while the node is stopped.
//
// The range is scanned in chunks of FollowerOptions::range_blocks with the follower's
// RangeScanner (same checks, same claims) and committed with commit_range; claims carry
// the kSourceRescan bit. Known claims only gain that bit, so running it twice changes
// nothing more.
//
// With `rollback`, the store is first rolled back to from - 1 (claims above become
// orphaned / revoking, the checkpoint drops to from - 1), then rescanned: this is the way
// out of a reorg deeper than the stored window, which the follower refuses to guess at.
#pragma once

#include <cstdint>

#include "node/follower.hpp"
#include "rpc/chain_source.hpp"
#include "rpc/clock.hpp"
#include "rpc/status.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {

struct RescanOptions {
  std::uint64_t from = 0;  // inclusive
  std::uint64_t to = 0;    // inclusive
  bool rollback = false;   // roll the store back to from - 1 first
};

struct RescanReport {
  std::uint64_t from = 0, to = 0;
  std::uint64_t ranges = 0;   // chunks committed
  std::uint64_t found = 0;    // claims in the range
  std::uint64_t created = 0;  // new claim keys
  std::uint64_t known = 0;    // already in the outbox
  std::uint64_t revived = 0;  // of the known, back from orphaned / revoking / revoked
  bool rolled_back = false;
  store::RollbackOutcome rollback;
  std::optional<std::uint64_t> checkpoint;  // after the rescan
};

// Errors: kInvalidArgument for from > to, from below start_block, `to` above the finality
// target, or rollback with from == 0 (nothing changed); kReorg when the stored block below
// `from` is no longer canonical (rerun with --rollback and a lower --from); the chain's
// and the store's errors otherwise. A failure after some chunks keeps them (idempotent:
// run it again).
Result<RescanReport> rescan_range(eth::ChainSource& chain, store::NodeStore& store, Clock& clock,
                                  const FollowerOptions& follower, const RescanOptions& options);

}  // namespace claimsync::node

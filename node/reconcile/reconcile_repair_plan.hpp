// reconcile_repair_plan: what `claimsync reconcile --repair` may change, as a pure function
// of the comparison's findings (reconcile_findings, issue 14): the plan never decides what
// differs, it maps each finding to one action, one entry left, or nothing (its key is
// already planned, or the class is information). Only what the chain proves:
//
//   ingest   a mint of the pinned chain, in a scanned block, that the store lacks or holds
//            off the chain (missing_in_store): NodeStore::ingest, source reconcile.
//   reapply  a done claim whose sink rows disagree with it (ledger_missing,
//            ledger_status_mismatch, membership_missing; current_level_wrong: the done
//            claim of the wallet's highest level): the replicator revokes and applies it
//            again (NodeStore::requeue_for_repair kApply; the sink apply is idempotent).
//   revoke   rows of claimsync's own making (their claim key has a ledger row) that no
//            mint backs: a store claim orphaned or revoked whose ledger row says done or
//            whose membership row is still there; a ledger row the store has no claim for
//            (when `proven_not_mint` confirms it: a mint above the pin is not disproved by
//            the sweep); a live store claim the pinned chain's logs do not hold
//            (extra_in_store). NodeStore::requeue_for_repair kRevoke.
//   left     reported, never changed: membership rows with a claim key but no ledger row
//            (not proven claimsync's), dead claims (`claimsync claims retry`), mints in
//            blocks the node has not scanned yet (the follower will), keys not proven.
//
// Rows with no claim key (membership_foreign) are not claimsync's and are never touched.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "node/reconcile/reconcile_compare.hpp"
#include "node/reconcile/reconcile_report.hpp"
#include "storage/claim.hpp"

namespace claimsync::node {

struct RepairPlan {
  std::vector<store::Claim> ingest;
  std::vector<store::Claim> reapply;
  std::vector<store::Claim> revoke;
  std::vector<ReconcileSample> left;  // db_value says why it is left
  // The claims compared (the larger of the chain's mints and the store's claims up to the
  // pin): the denominator of reconcile.max_repair_fraction.
  std::uint64_t compared = 0;
  std::size_t size() const { return ingest.size() + reapply.size() + revoke.size(); }
};

// REQUIRES: in.pin, in.chain_claims and in.sink are set (a complete report); `findings`
// are reconcile_findings(in) (or a part of them: a finding absent plans nothing).
// `proven_not_mint(key)`: true when the chain proves `key` is no mint of the contract
// (asked only for ledger rows without a store claim and without a mint up to the pin).
RepairPlan plan_repair(const ReconcileInputs& in, const std::vector<ReconcileFinding>& findings,
                       const std::function<bool(const store::ClaimKey&)>& proven_not_mint);
// The same with reconcile_findings(in).
RepairPlan plan_repair(const ReconcileInputs& in,
                       const std::function<bool(const store::ClaimKey&)>& proven_not_mint);

// True when `differences` may be repaired: at most max_fraction of `compared` (at least 1).
bool repair_within_threshold(std::uint64_t differences, std::uint64_t compared,
                             double max_fraction);

}  // namespace claimsync::node

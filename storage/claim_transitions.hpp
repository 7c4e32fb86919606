// The claim state machine (DESIGN §5) as data: which moves are legal, and which states
// the indexes track. NodeStore consults this before every state change, so an illegal
// move is rejected in one place.
//
//   pending  -> done | retrying | dead
//             | orphaned (its block left the chain; never handed to the sink)
//             | revoking (its block left the chain; handed to the sink, which may hold
//                         its rows whatever the call's outcome)
//   retrying -> as pending (a due retry is taken as is)
//   dead     -> pending (operator retry) | orphaned | revoking (as pending)
//   orphaned -> pending  (its block is canonical again)
//   done     -> revoking (its block left the chain after replication)
//   revoking -> revoked  (compensation committed) | revoking (failed, retried)
//             | pending  (canonical again: the apply is repeated, which is idempotent,
//                         because the revoke may have committed with its reply lost; or
//                         the revoke committed and the claim is to be applied again in
//                         its new block, reapply_after_revoke)
//   revoked  -> pending  (canonical again after compensation)
#pragma once

#include "storage/claim.hpp"

namespace claimsync::store {

bool transition_allowed(ClaimState from, ClaimState to);

// States with work for the replicator: exactly these are in the due-index.
constexpr bool is_due_state(ClaimState s) {
  return s == ClaimState::kPending || s == ClaimState::kRetrying || s == ClaimState::kRevoking;
}

// States waiting to reach the sink: exactly these are in the age index (oldest pending).
constexpr bool is_awaiting_sink(ClaimState s) {
  return s == ClaimState::kPending || s == ClaimState::kRetrying;
}

}  // namespace claimsync::store

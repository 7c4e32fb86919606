// The claim state machine (DESIGN §5) as data: which moves are legal, and which states
// the indexes track. NodeStore consults this before every state change, so an illegal
// move is rejected in one place.
//
//   pending  -> done | retrying | dead | orphaned
//   retrying -> done | retrying | dead | orphaned   (a due retry is taken as is)
//   dead     -> pending (operator retry) | orphaned
//   orphaned -> pending  (its block is canonical again)
//             | revoking (a reorg raced the replicator: the sink committed it anyway)
//   done     -> revoking (its block left the chain after replication)
//             | pending  (a reorg raced a revoke: the sink removed a canonical claim)
//   revoking -> revoked (compensation committed) | revoking (failed, retried)
//             | done (canonical again)
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

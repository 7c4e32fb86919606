// The secondary indexes of the claims column family, as data: for each index, the key a
// claim has in it (nullopt: the claim is not in that index in its current state).
// NodeStore maintains them from this table and the invariant checker verifies them from
// the same table, so the two cannot drift apart.
//
//   due       pending / retrying / revoking, at next_attempt_at   (the replicator's work)
//   by_age    pending / retrying, at created_at                    (oldest pending)
//   by_state  retrying / dead / orphaned / revoking / revoked      (the states an operator
//             lists; pending and done are the bulk of the outbox and are listed by
//             scanning the claims in key order instead, which keeps ingest and drain cheap)
//   by_wallet every claim
//   by_block  every claim, at block_number                          (rollback)
#pragma once

#include <array>
#include <optional>
#include <string>

#include "storage/claim.hpp"
#include "storage/store_layout.hpp"

namespace claimsync::store {

struct ClaimIndex {
  layout::Cf cf;
  std::optional<std::string> (*key_of)(const Claim&);
};

const std::array<ClaimIndex, 5>& claim_indexes();

// True for the states listed through the by_state index.
bool is_state_indexed(ClaimState s);

}  // namespace claimsync::store

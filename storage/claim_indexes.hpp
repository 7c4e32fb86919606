// The secondary indexes of the claims column family, as data: for each index, the entry
// a claim has in it, if any, in its current state. NodeStore maintains the indexes from
// this table and the invariant checker verifies them from it, so the two cannot drift.
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
#include <string_view>

#include "storage/claim.hpp"
#include "storage/store_layout.hpp"

namespace claimsync::store {

struct ClaimIndex {
  layout::Cf cf;
  // Appends the entry of `c` to `out` and returns true, or returns false (appending
  // nothing) when `c` has no entry in this index. `encoded_key` is c.key.encode(), passed
  // in so that one claim's key is encoded once for all its indexes.
  bool (*append_entry)(const Claim& c, std::string_view encoded_key, std::string& out);
};

const std::array<ClaimIndex, 5>& claim_indexes();

// The entry of `c` in `index`, if any (convenience for checks; allocates).
std::optional<std::string> index_entry(const ClaimIndex& index, const Claim& c);

// True for the states listed through the by_state index.
bool is_state_indexed(ClaimState s);

}  // namespace claimsync::store

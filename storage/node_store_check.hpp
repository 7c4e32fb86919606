// Full consistency check of a node store: recounts everything and cross-checks every
// index against the claims. Cost O(store size) time, O(1) memory. Used by the crash test
// after each kill, and by `claimsync status --verify`.
//
// Checked:
//   * every claim record decodes and sits under its own key;
//   * counters equal a recount of claim states;
//   * every index of claim_indexes.hpp holds exactly the entries its claims call for
//     (the due index: exactly the pending/retrying/revoking claims, at next_attempt_at);
//   * range marks are merged (disjoint, not adjacent); the stored checkpoint is the end
//     of the range containing start_block and no hole lies below it.
#pragma once

#include <string>

#include "rpc/status.hpp"
#include "storage/node_store.hpp"

namespace claimsync::store {

// Opens the dir (the node must not be running on it), checks, closes. kCorruption lists
// the first problems found.
Status verify_store_invariants(const std::string& path);
// The same on an open store.
Status verify_store_invariants(NodeStore& store);

}  // namespace claimsync::store

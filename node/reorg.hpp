// Reorg: finding the fork point between the stored block-hash window and the chain
// (DESIGN §6).
//
// The window is sparse: the follower stores the hash of the last block of every range, of
// every block holding a mint and a few more (see follower.hpp). A stored block whose hash
// the chain still has proves every block below it canonical too (each hash commits to its
// ancestors), so the fork point is the highest stored block the chain still has; rolling
// back to it and rescanning above it is always enough, at worst a little more than needed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rpc/chain_source.hpp"
#include "rpc/status.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {

// Position in `stored` (highest first) of the first record whose hash equals the hash of
// the header with the same number in `chain` (any order; numbers absent from `chain` do
// not match). nullopt when none matches. A pure function.
std::optional<std::size_t> highest_canonical(std::span<const store::BlockRecord> stored,
                                             std::span<const eth::BlockHeader> chain);

struct ForkSearch {
  // True when a fork point was found: roll back to `fork_point` and rescan above it.
  // False when no stored block is canonical any more: the reorg is deeper than the window
  // and nothing can be rolled back safely (a stop-the-line error for the follower).
  bool found = false;
  std::uint64_t fork_point = 0;
  std::uint64_t lowest_stored = 0;  // the lowest stored block compared (for the error)
  std::size_t compared = 0;         // stored blocks compared with the chain
  // True when the chain's head is below `at_or_below`: the endpoint is behind what the
  // node stored (or the chain got shorter); nothing was compared, nothing may be rolled
  // back on that evidence (issue 10). found is false.
  bool behind = false;
  std::uint64_t head = 0;  // the chain head seen
};

// Walks the stored window down from `at_or_below`, comparing `batch` stored blocks per
// headers() round trip with the chain. Only a hash mismatch at a block the chain serves
// counts: when `at_or_below` is above the chain's head the search stops with `behind`,
// and a block the chain does not serve is kNotFound (from headers()), never "not
// canonical". When every stored block is gone but the window still reaches down to
// `start_block` (nothing was pruned yet), the fork point is start_block - 1: everything
// scanned is rolled back. Bounded by the window size. Errors are the chain's.
Result<ForkSearch> find_fork_point(eth::ChainSource& chain, const store::NodeStore& store,
                                   std::uint64_t at_or_below, std::uint64_t start_block,
                                   std::size_t batch = 64);

}  // namespace claimsync::node

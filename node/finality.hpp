// Finality: which block the follower may scan up to (DESIGN §6).
//
// The follower never commits a block above the target. In confirmations mode the target
// trails the head by `confirmations` blocks; in safe / finalized mode it is the block the
// RPC reports for that tag (Arbitrum supports both).
#pragma once

#include <cstdint>
#include <optional>

#include "node/config.hpp"
#include "rpc/chain_source.hpp"
#include "rpc/status.hpp"

namespace claimsync::node {

struct FinalityTarget {
  std::optional<std::uint64_t> target;  // nullopt: no block is final enough yet
  std::optional<std::uint64_t> head;    // the head seen (confirmations mode only)
};

// head - confirmations, or nullopt while the chain is shorter than `confirmations`.
// A pure function.
std::optional<std::uint64_t> confirmed_target(std::uint64_t head, std::uint64_t confirmations);

// Asks the chain for the target of `mode` (one header call). A safe/finalized block the
// chain does not have yet (kNotFound) gives no target; other errors are the chain's.
Result<FinalityTarget> finality_target(eth::ChainSource& chain, FinalityMode mode,
                                       std::uint64_t confirmations);

}  // namespace claimsync::node

// mint_log_sweep: the reconciler's own pass over the chain's mint logs (issue 14): every
// TransferSingle / TransferBatch from 0x0 of the contract in [from, pin], turned into claims
// by node/mint_claims (the same keys and fields the follower makes), independent of the
// follower's checkpoint and ranges. Every eth_getLogs is tied to the pinned block's hash
// (LogFilter::pin), so the logs are of the pinned chain or the sweep fails with kReorg.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "rpc/chain_source.hpp"
#include "rpc/status.hpp"
#include "storage/claim.hpp"

namespace claimsync::node {

struct MintSweepSettings {
  std::uint64_t chain_id = 0;
  eth::Address contract;
  std::unordered_set<std::uint32_t> levels;
  std::uint64_t chunk_blocks = 5'000;  // blocks per logs() call (the client splits further)
};

struct MintSweep {
  std::vector<store::Claim> claims;
  std::uint64_t calls = 0;
};

// REQUIRES: from <= pin.number.
Result<MintSweep> sweep_mints(eth::ChainSource& chain, const MintSweepSettings& settings,
                              std::uint64_t from, const eth::BlockPin& pin);

}  // namespace claimsync::node

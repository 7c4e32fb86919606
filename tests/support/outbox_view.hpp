// OutboxView: test helpers that read a NodeStore's claims as sets and compare them with
// the claims a chain says should exist (FakeChain::expected_claims or a test's own
// recomputation from anvil).
#pragma once

#include <string>
#include <vector>

#include "storage/claim.hpp"
#include "storage/node_store.hpp"

namespace claimsync::testing {

// Every claim in one of `states`, in key order (paginated reads, no limit).
std::vector<store::Claim> claims_in_states(const store::NodeStore& store,
                                           const std::vector<store::ClaimState>& states);

// Claims that stand for a canonical mint: pending, retrying, done, dead.
std::vector<store::Claim> live_claims(const store::NodeStore& store);
// Claims whose block left the chain: orphaned, revoking, revoked.
std::vector<store::Claim> off_chain_claims(const store::NodeStore& store);

// "" when `actual` and `expected` hold the same claim keys with the same wallet, level,
// amount, block number, block hash and block time; else a readable list of differences
// (at most `max_lines`).
std::string diff_claims(std::vector<store::Claim> actual, std::vector<store::Claim> expected,
                        std::size_t max_lines = 20);

}  // namespace claimsync::testing

// Synthetic claims for replicator and sink tests that need many distinct, valid claims
// without a chain: claim n has its own tx hash, wallet n, level 1 + n % 19 and block
// `first_block + n`.
#pragma once

#include <cstdint>
#include <vector>

#include "rpc/status.hpp"
#include "storage/claim.hpp"
#include "storage/node_store.hpp"

namespace claimsync::testing {

inline constexpr std::uint64_t kSyntheticChainId = 42161;
inline constexpr std::uint64_t kSyntheticFirstBlock = 100;

// 0xab000000000000000000000000000000NNNNNNNN (lower-case hex n in the last 4 bytes).
eth::Address synthetic_wallet(std::uint32_t n);
store::Claim synthetic_claim(std::uint32_t n);

// The identity the claims belong to (chain 42161, start block kSyntheticFirstBlock).
store::StoreIdentity synthetic_identity();

// Enters claims 0..count-1 into `store` through commit_range, `per_range` claims per
// synced batch (fast even for thousands). Returns the claims.
Result<std::vector<store::Claim>> commit_synthetic_claims(store::NodeStore& store,
                                                          std::uint32_t count, std::int64_t now_ms,
                                                          std::uint32_t per_range = 500);

}  // namespace claimsync::testing

// MintClaims: the claims one ERC-1155 log of the configured contract makes (DESIGN §1):
// mints (from == 0) of a configured level, with a non-zero amount, to a non-zero wallet;
// one claim per id of a TransferBatch. The follower's scan and the intake's receipt check
// both make claims here, so a hint and the scan agree on keys and fields.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "rpc/chain_source.hpp"
#include "rpc/log_entry.hpp"
#include "rpc/status.hpp"
#include "storage/claim.hpp"

namespace claimsync::node {

struct MintClaimRules {
  std::uint64_t chain_id = 0;
  std::unordered_set<std::uint32_t> levels;  // token ids that count
  std::uint32_t sources = store::kSourceScan;
};

// Appends the claims of `log` (in `block`) to `out`; `ignored` counts the transfers that
// are not claims (transfers, burns, other ids, zero amounts). kCorruption (nothing
// appended) when the log does not decode as TransferSingle / TransferBatch.
// REQUIRES: log.block_number == block.number.
Status append_mint_claims(const eth::LogEntry& log, const eth::BlockHeader& block,
                          const MintClaimRules& rules, std::int64_t now_ms,
                          std::vector<store::Claim>& out, std::uint64_t& ignored);

}  // namespace claimsync::node

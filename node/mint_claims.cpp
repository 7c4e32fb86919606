#include "node/mint_claims.hpp"

#include "rpc/erc1155.hpp"
#include "rpc/logging.hpp"

namespace claimsync::node {

Status append_mint_claims(const eth::LogEntry& log, const eth::BlockHeader& block,
                          const MintClaimRules& rules, std::int64_t now_ms,
                          std::vector<store::Claim>& out, std::uint64_t& ignored) {
  Result<std::vector<eth::TokenTransfer>> transfers = eth::decode_transfer_log(log);
  if (!transfers.ok()) return transfers.status();
  for (const eth::TokenTransfer& t : *transfers) {
    const std::optional<std::uint64_t> id = t.id.to_u64();
    const bool level =
        id && *id <= UINT32_MAX && rules.levels.count(static_cast<std::uint32_t>(*id));
    if (!t.is_mint() || !level || t.value == eth::U256() || t.to.is_zero()) {
      ++ignored;
      continue;
    }
    store::Claim c;
    c.key = {rules.chain_id, log.tx_hash, log.log_index, t.batch_index};
    c.wallet = t.to;
    c.level = static_cast<std::uint32_t>(*id);
    c.amount = t.value;
    c.block_number = block.number;
    c.block_hash = block.hash;
    c.block_time = block.timestamp;
    c.sources = rules.sources;
    c.next_attempt_at_ms = now_ms;
    c.created_at_ms = now_ms;
    c.updated_at_ms = now_ms;
    out.push_back(std::move(c));
  }
  return {};
}

}  // namespace claimsync::node

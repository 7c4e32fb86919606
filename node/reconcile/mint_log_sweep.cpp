#include "node/reconcile/mint_log_sweep.hpp"

#include <algorithm>

#include "node/mint_claims.hpp"
#include "rpc/erc1155.hpp"

namespace claimsync::node {

Result<MintSweep> sweep_mints(eth::ChainSource& chain, const MintSweepSettings& settings,
                              std::uint64_t from, const eth::BlockPin& pin) {
  MintSweep out;
  const MintClaimRules rules{settings.chain_id, settings.levels, store::kSourceReconcile};
  const std::uint64_t span = std::max<std::uint64_t>(settings.chunk_blocks, 1);
  std::uint64_t ignored = 0;
  for (std::uint64_t lo = from; lo <= pin.number;) {  // bounded: lo only grows
    const std::uint64_t hi = pin.number - lo < span ? pin.number : lo + span - 1;
    eth::LogFilter filter;
    filter.address = settings.contract;
    filter.topics = {
        {eth::transfer_single_topic(), eth::transfer_batch_topic()}, {}, {eth::Hash32()}};
    filter.from_block = lo;
    filter.to_block = hi;
    filter.pin = pin;
    ++out.calls;
    Result<std::vector<eth::LogEntry>> logs = chain.logs(filter);
    if (!logs.ok())
      return logs.status().with_context("mint logs of blocks " + std::to_string(lo) + ".." +
                                        std::to_string(hi));
    for (const eth::LogEntry& log : *logs) {
      eth::BlockHeader block;
      block.number = log.block_number;
      block.hash = log.block_hash;
      CLAIMSYNC_RETURN_IF_ERROR(append_mint_claims(log, block, rules, 0, out.claims, ignored));
    }
    if (hi == pin.number) break;
    lo = hi + 1;
  }
  return out;
}

}  // namespace claimsync::node

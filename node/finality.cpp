#include "node/finality.hpp"

namespace claimsync::node {

std::optional<std::uint64_t> confirmed_target(std::uint64_t head, std::uint64_t confirmations) {
  if (head < confirmations) return std::nullopt;
  return head - confirmations;
}

Result<FinalityTarget> finality_target(eth::ChainSource& chain, FinalityMode mode,
                                       std::uint64_t confirmations) {
  if (mode == FinalityMode::kConfirmations) {
    Result<eth::BlockHeader> head = chain.header(eth::BlockTag::kLatest);
    if (!head.ok()) return head.status().with_context("latest block");
    return FinalityTarget{confirmed_target(head->number, confirmations), head->number};
  }
  const eth::BlockTag tag =
      mode == FinalityMode::kSafe ? eth::BlockTag::kSafe : eth::BlockTag::kFinalized;
  Result<eth::BlockHeader> block = chain.header(tag);
  if (block.ok()) return FinalityTarget{block->number, std::nullopt};
  // A young chain may have no safe/finalized block yet: nothing is final enough.
  if (block.status().code() == ErrorCode::kNotFound) return FinalityTarget{};
  return block.status().with_context(std::string(finality_mode_name(mode)) + " block");
}

}  // namespace claimsync::node

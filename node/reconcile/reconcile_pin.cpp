#include "node/reconcile/reconcile_pin.hpp"

#include <charconv>

namespace claimsync::node {

Result<eth::BlockRef> parse_pin_at(const std::string& at) {
  if (at == "finalized") return eth::BlockRef(eth::BlockTag::kFinalized);
  if (at == "safe") return eth::BlockRef(eth::BlockTag::kSafe);
  if (at == "latest") return eth::BlockRef(eth::BlockTag::kLatest);
  std::uint64_t n = 0;
  const char* end = at.data() + at.size();
  auto [ptr, ec] = std::from_chars(at.data(), end, n);
  if (at.empty() || ec != std::errc() || ptr != end) {
    return error(ErrorCode::kInvalidArgument,
                 "--at '" + at + "' is neither finalized, safe, latest nor a block number");
  }
  return eth::BlockRef(n);
}

Result<PinnedBlock> resolve_pin(eth::ChainSource& chain, const std::string& at) {
  Result<eth::BlockRef> ref = parse_pin_at(at);
  if (!ref.ok()) return ref.status();
  Result<eth::BlockHeader> head = chain.header(eth::BlockTag::kLatest);
  if (!head.ok()) return head.status().with_context("head");
  Result<eth::BlockHeader> block = chain.header(*ref);
  if (!block.ok()) return block.status().with_context("block " + at);
  return PinnedBlock{at, block->number, block->hash.hex(), std::max(head->number, block->number)};
}

Status check_pin_still_canonical(eth::ChainSource& chain, const PinnedBlock& pin) {
  Result<eth::BlockHeader> now = chain.header(pin.number);
  if (!now.ok()) return now.status().with_context("re-reading the pinned block");
  if (now->hash.hex() != pin.hash) {
    return error(ErrorCode::kReorg, "block " + std::to_string(pin.number) + " is now " +
                                        now->hash.hex() + ", not the pinned " + pin.hash +
                                        ": the chain reorganised during the run; run it again");
  }
  return {};
}

}  // namespace claimsync::node

#include "storage/claim_indexes.hpp"

#include "storage/claim_transitions.hpp"

namespace claimsync::store {
namespace {

using layout::Cf;

std::optional<std::string> due_entry(const Claim& c) {
  if (!is_due_state(c.state)) return std::nullopt;
  return layout::due_key(c.next_attempt_at_ms, c.key);
}

std::optional<std::string> age_entry(const Claim& c) {
  if (!is_awaiting_sink(c.state)) return std::nullopt;
  return layout::age_key(c.created_at_ms, c.key);
}

std::optional<std::string> state_entry(const Claim& c) {
  if (!is_state_indexed(c.state)) return std::nullopt;
  return layout::state_key(c.state, c.key);
}

std::optional<std::string> wallet_entry(const Claim& c) { return layout::wallet_key(c.wallet, c.key); }

std::optional<std::string> block_entry(const Claim& c) { return layout::block_key(c.block_number, c.key); }

}  // namespace

const std::array<ClaimIndex, 5>& claim_indexes() {
  static const std::array<ClaimIndex, 5> kIndexes = {{{Cf::kDue, due_entry},
                                                      {Cf::kByAge, age_entry},
                                                      {Cf::kByState, state_entry},
                                                      {Cf::kByWallet, wallet_entry},
                                                      {Cf::kByBlock, block_entry}}};
  return kIndexes;
}

bool is_state_indexed(ClaimState s) { return s != ClaimState::kPending && s != ClaimState::kDone; }

}  // namespace claimsync::store

#include "storage/claim_indexes.hpp"

#include "storage/byte_codec.hpp"
#include "storage/claim_transitions.hpp"

namespace claimsync::store {
namespace {

using layout::Cf;

// Each entry is "<prefix><encoded claim key>", matching the builders in store_layout.hpp.

bool due_entry(const Claim& c, std::string_view key, std::string& out) {
  if (!is_due_state(c.state)) return false;
  put_i64_ordered(out, c.next_attempt_at_ms);
  out.append(key);
  return true;
}

bool age_entry(const Claim& c, std::string_view key, std::string& out) {
  if (!is_awaiting_sink(c.state)) return false;
  put_i64_ordered(out, c.created_at_ms);
  out.append(key);
  return true;
}

bool state_entry(const Claim& c, std::string_view key, std::string& out) {
  if (!is_state_indexed(c.state)) return false;
  put_u8(out, static_cast<std::uint8_t>(c.state));
  out.append(key);
  return true;
}

bool wallet_entry(const Claim& c, std::string_view key, std::string& out) {
  put_bytes(out, c.wallet.bytes());
  out.append(key);
  return true;
}

bool block_entry(const Claim& c, std::string_view key, std::string& out) {
  put_u64(out, c.block_number);
  out.append(key);
  return true;
}

}  // namespace

const std::array<ClaimIndex, 5>& claim_indexes() {
  static const std::array<ClaimIndex, 5> kIndexes = {{{Cf::kDue, due_entry},
                                                      {Cf::kByAge, age_entry},
                                                      {Cf::kByState, state_entry},
                                                      {Cf::kByWallet, wallet_entry},
                                                      {Cf::kByBlock, block_entry}}};
  return kIndexes;
}

std::optional<std::string> index_entry(const ClaimIndex& index, const Claim& c) {
  std::string out;
  if (!index.append_entry(c, c.key.encode(), out)) return std::nullopt;
  return out;
}

bool is_state_indexed(ClaimState s) { return s != ClaimState::kPending && s != ClaimState::kDone; }

}  // namespace claimsync::store

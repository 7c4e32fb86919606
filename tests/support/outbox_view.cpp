#include "tests/support/outbox_view.hpp"

#include <algorithm>
#include <map>

namespace claimsync::testing {
namespace {

std::string describe(const store::Claim& c) {
  return c.key.to_string() + " wallet=" + c.wallet.lower_hex() +
         " level=" + std::to_string(c.level) + " amount=" + c.amount.to_decimal() +
         " block=" + std::to_string(c.block_number) + "/" + c.block_hash.hex().substr(0, 10) +
         " time=" + std::to_string(c.block_time) + " state=" + store::claim_state_name(c.state);
}

bool same_mint(const store::Claim& a, const store::Claim& b) {
  return a.wallet == b.wallet && a.level == b.level && a.amount == b.amount &&
         a.block_number == b.block_number && a.block_hash == b.block_hash &&
         a.block_time == b.block_time;
}

}  // namespace

std::vector<store::Claim> claims_in_states(const store::NodeStore& store,
                                           const std::vector<store::ClaimState>& states) {
  constexpr std::size_t kPage = 1000;
  std::vector<store::Claim> out;
  for (store::ClaimState s : states) {
    std::optional<store::ClaimKey> after;
    for (;;) {  // bounded: every page advances `after` through a finite index
      std::vector<store::Claim> page = store.list_by_state(s, kPage, after);
      if (page.empty()) break;
      after = page.back().key;
      out.insert(out.end(), page.begin(), page.end());
      if (page.size() < kPage) break;
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return out;
}

std::vector<store::Claim> live_claims(const store::NodeStore& store) {
  using S = store::ClaimState;
  return claims_in_states(store, {S::kPending, S::kRetrying, S::kDone, S::kDead});
}

std::vector<store::Claim> off_chain_claims(const store::NodeStore& store) {
  using S = store::ClaimState;
  return claims_in_states(store, {S::kOrphaned, S::kRevoking, S::kRevoked});
}

std::string diff_claims(std::vector<store::Claim> actual, std::vector<store::Claim> expected,
                        std::size_t max_lines) {
  std::map<store::ClaimKey, store::Claim> want;
  for (store::Claim& c : expected) want.emplace(c.key, std::move(c));
  std::string out;
  std::size_t lines = 0;
  auto note = [&](const std::string& line) {
    if (lines++ < max_lines) out += line + "\n";
  };
  for (const store::Claim& c : actual) {
    auto it = want.find(c.key);
    if (it == want.end()) {
      note("unexpected: " + describe(c));
    } else {
      if (!same_mint(c, it->second))
        note("differs: " + describe(c) + " want " + describe(it->second));
      want.erase(it);
    }
  }
  for (const auto& [key, c] : want) note("missing: " + describe(c));
  if (lines > max_lines) out += "... " + std::to_string(lines - max_lines) + " more\n";
  return out;
}

}  // namespace claimsync::testing

#include "node/api/claim_view.hpp"

#include <map>
#include <optional>

namespace claimsync::node {

nlohmann::json claim_view(const store::Claim& c) {
  return {{"key", c.key.to_string()},
          {"tx_hash", c.key.tx_hash.hex()},
          {"log_index", c.key.log_index},
          {"batch_index", c.key.batch_index},
          {"wallet", c.wallet.lower_hex()},
          {"level", c.level},
          {"amount", c.amount.to_decimal()},
          {"block_number", c.block_number},
          {"block_hash", c.block_hash.hex()},
          {"state", store::claim_state_name(c.state)},
          {"sources", store::claim_sources_string(c.sources)},
          {"referrer", c.referrer ? nlohmann::json(c.referrer->lower_hex()) : nlohmann::json()},
          {"last_error", c.last_error}};
}

nlohmann::json wallet_view(const eth::Address& wallet, const std::vector<store::Claim>& claims,
                           bool truncated) {
  std::map<std::uint32_t, std::vector<const store::Claim*>> by_level;
  std::optional<std::uint32_t> current;
  for (const store::Claim& c : claims) {
    by_level[c.level].push_back(&c);
    if (c.state == store::ClaimState::kDone && (!current || c.level > *current)) current = c.level;
  }
  nlohmann::json levels = nlohmann::json::array();
  for (const auto& [level, list] : by_level) {
    nlohmann::json states = nlohmann::json::array(), views = nlohmann::json::array();
    for (const store::Claim* c : list) {
      states.push_back(store::claim_state_name(c->state));
      views.push_back(claim_view(*c));
    }
    levels.push_back({{"level", level}, {"states", states}, {"claims", views}});
  }
  return {{"wallet", wallet.lower_hex()},
          {"levels", levels},
          {"current_level", current ? nlohmann::json(*current) : nlohmann::json()},
          {"active", current.has_value()},
          {"truncated", truncated}};
}

}  // namespace claimsync::node

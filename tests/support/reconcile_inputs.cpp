#include "tests/support/reconcile_inputs.hpp"

#include <string>

#include "tests/support/claim_fixtures.hpp"

namespace claimsync::testing {

store::Claim reconcile_claim(std::uint8_t tx, std::uint64_t wallet, std::uint32_t level,
                             std::uint64_t block, store::ClaimState state) {
  store::Claim c;
  std::string hex = "0x" + std::string(62, '0');
  hex += "0123456789abcdef"[tx >> 4];
  hex += "0123456789abcdef"[tx & 15];
  c.key = {kReconcileChain, *eth::Hash32::parse(hex), 0, 0};
  c.wallet = fixture_wallet(wallet);
  c.level = level;
  c.amount = eth::U256(1);
  c.block_number = block;
  c.state = state;
  return c;
}

node::ReconcileInputs consistent_reconcile_inputs() {
  node::ReconcileInputs in;
  in.chain_id = kReconcileChain;
  in.pin = 100;
  in.scanned = {{0, 100}};
  in.store_claims = {reconcile_claim(1, 1, 1, 10), reconcile_claim(2, 1, 3, 20),
                     reconcile_claim(3, 2, 1, 30)};
  in.chain_claims = in.store_claims;
  store::SinkSnapshot s;
  for (const store::Claim& c : in.store_claims) {
    s.ledger.push_back({c.key, "done", c.wallet, c.level});
    s.membership.push_back({c.wallet, c.level, c.key});
  }
  s.members = {{fixture_wallet(1), 3}, {fixture_wallet(2), 1}};
  in.sink = s;
  return in;
}

}  // namespace claimsync::testing

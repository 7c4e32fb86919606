// Plain inputs for the reconcile comparison and repair-plan tests: small claims keyed by
// one byte, and a store, chain and sink that agree, for each case to tamper with.
#pragma once

#include <cstdint>

#include "node/reconcile/reconcile_compare.hpp"
#include "storage/claim.hpp"

namespace claimsync::testing {

inline constexpr std::uint64_t kReconcileChain = 31337;

// A claim of chain kReconcileChain whose tx hash ends in the byte `tx` (log 0), minted to
// fixture_wallet(wallet) at `level`, in `block`.
store::Claim reconcile_claim(std::uint8_t tx, std::uint64_t wallet, std::uint32_t level,
                             std::uint64_t block,
                             store::ClaimState state = store::ClaimState::kDone);

// Store, chain and sink that agree: 3 done claims of 2 wallets (txs 1, 2, 3; wallet 1 holds
// levels 1 and 3, wallet 2 level 1), scanned 0..100, pin 100.
node::ReconcileInputs consistent_reconcile_inputs();

}  // namespace claimsync::testing

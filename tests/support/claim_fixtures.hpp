// Deterministic claims for sink tests and benchmarks (no Catch2 dependency, so benches can
// link it).
#pragma once

#include <cstdint>
#include <vector>

#include "storage/claim.hpp"

namespace claimsync::testing {

// Wallet number `w`: 0xabcd000...<w as 16 hex digits>.
eth::Address fixture_wallet(std::uint64_t w);

// Claim number `i` of a deterministic data set: `wallets` wallets (claim i belongs to
// wallet i % wallets), levels 1..`levels` picked by a hash so some wallets lack level 1
// and some (wallet, level) pairs repeat, three claims per transaction, block times out of
// order with ties (earliest-wins matters), a 2^256-1 amount every 11th claim, a last_error
// every 4th and a referrer every 7th (always the same one per wallet).
store::Claim make_claim(std::uint64_t i, std::uint64_t wallets = 40, std::uint32_t levels = 5);
std::vector<store::Claim> make_claims(std::uint64_t n, std::uint64_t wallets = 40,
                                      std::uint32_t levels = 5);

// Two claims of make_claims whose wallets fall in different lanes of a two-lane
// store::LanedSink (so one apply of them uses both connections).
std::vector<store::Claim> claims_in_two_lanes();

}  // namespace claimsync::testing

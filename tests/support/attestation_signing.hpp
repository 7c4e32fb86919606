// Referral attestations signed by a third party for tests: anvil's eth_signTypedData_v4
// with an unlocked dev account (never the project's own signing code).
//
//   json m = attestation_message(minter, referrer, unix_now());
//   m["signature"] = anvil_sign_attestation(chain, minter, m, nft);
//   POST /v1/claims {"tx_hash": tx, "attestation": m}
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/anvil.hpp"

namespace claimsync::testing {

// The message fields of the JSON form (times as decimal strings), mintTx zero, nonce
// 0x00..<nonce_byte>, issued 10 s before `now`, expiring `ttl_s` after it.
nlohmann::json attestation_message(const std::string& minter, const std::string& referrer,
                                   std::uint64_t now, std::uint8_t nonce_byte = 0x2a,
                                   std::int64_t ttl_s = 3600);

// The 65-byte signature (0x-hex) of `signer` over the EIP-712 typed data of `message`
// with the claimsync domain for `chain_id` and `contract`.
std::string anvil_sign_attestation(Anvil& chain, const std::string& signer,
                                   const nlohmann::json& message, const std::string& contract,
                                   std::uint64_t chain_id = 31337);

std::uint64_t unix_now_s();

}  // namespace claimsync::testing

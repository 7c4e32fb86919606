// ReferralAttestation: a minting wallet's signed statement "I was referred by X"
// (EIP-712 typed data, reference/webhooks-and-attestation.md §4), and the rules that
// decide whether the node attaches the referrer to a claim.
//
//   ReferralAttestation(address minter,address referrer,bytes32 mintTx,bytes32 nonce,
//                       uint64 issuedAt,uint64 expiresAt)
//   domain {name: "claimsync", version: "1", chainId, verifyingContract: <contract>}
//
// The node never trusts the attestation's own claims: the minter must be the mint log's
// `to`, and the signature must be the minter's (secp256k1 recovery for a plain key,
// EIP-1271 isValidSignature on a deployed account, ERC-6492 for a counterfactual one).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rpc/address.hpp"
#include "rpc/chain_source.hpp"
#include "rpc/hash32.hpp"
#include "rpc/status.hpp"

namespace claimsync::node {

struct ReferralAttestation {
  eth::Address minter;
  eth::Address referrer;
  eth::Hash32 mint_tx;  // all zero = valid for any tx of the minter
  eth::Hash32 nonce;
  std::uint64_t issued_at = 0;   // unix seconds
  std::uint64_t expires_at = 0;  // unix seconds
  std::vector<std::uint8_t> signature;  // 65 bytes r||s||v, or ERC-6492-wrapped, or a
                                        // contract wallet's own encoding (EIP-1271)
};

// Parses the JSON form {"minter", "referrer", "mintTx", "nonce", "issuedAt", "expiresAt",
// "signature"}: addresses and bytes32 as 0x-hex, times as decimal seconds (number or
// decimal string), signature as 0x-hex. kInvalidArgument naming the field otherwise.
Result<ReferralAttestation> parse_referral_attestation(const nlohmann::json& j);

// The EIP-712 digest keccak256(0x1901 || domainSeparator || hashStruct(message)).
eth::Hash32 referral_attestation_digest(const ReferralAttestation& a, std::uint64_t chain_id,
                                        const eth::Address& verifying_contract);

// What the node knows when it checks an attestation against a verified mint.
struct AttestationContext {
  std::uint64_t chain_id = 0;
  eth::Address contract;    // the configured contract (the domain's verifyingContract)
  eth::Address log_minter;  // the `to` of the mint log in the verified receipt
  eth::Hash32 tx_hash;      // the verified transaction
  std::uint64_t now_s = 0;  // unix seconds
  std::uint64_t max_window_s = 7 * 24 * 3600;
};

struct AttestationVerdict {
  bool accepted = false;
  std::string scheme;  // "eoa" | "erc1271" | "erc6492" (names of reference §6.4) (when the signature was checked)
  // When refused: a stable code for metrics and the answer ("minter_mismatch",
  // "tx_mismatch", "self_referral", "expired", "not_yet_valid", "window_too_long",
  // "bad_signature", "wrong_chain_or_contract" is folded into bad_signature, since the
  // digest binds both) and a sentence for a human.
  std::string code;
  std::string message;
};

// Checks the rules and the signature. Nonce reuse is NOT checked here (the store owns
// the used-nonce set, atomically with the claim). Contract wallets need `chain` for
// eth_call; a chain error (RPC down) is returned as a Status, never as a refusal, so the
// caller can retry instead of wrongly refusing.
// Thread-safe.
Result<AttestationVerdict> verify_referral_attestation(const ReferralAttestation& a,
                                                       const AttestationContext& context,
                                                       eth::ChainSource& chain);

}  // namespace claimsync::node

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
#include <optional>
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
  std::uint64_t issued_at = 0;          // unix seconds
  std::uint64_t expires_at = 0;         // unix seconds
  std::vector<std::uint8_t> signature;  // 65 bytes r||s||v, or ERC-6492-wrapped, or a
                                        // contract wallet's own encoding (EIP-1271)
};

// The longest signature accepted (an ERC-6492 wrapper carries factory calldata).
constexpr std::size_t kMaxAttestationSignatureBytes = 4096;

// Parses the JSON form {"minter", "referrer", "mintTx", "nonce", "issuedAt", "expiresAt",
// "signature"}: addresses and bytes32 as 0x-hex (mixed-case addresses must be valid
// EIP-55), times as decimal seconds (a non-negative integer number or a string of decimal
// digits, within uint64), signature as 0x-hex of 1..kMaxAttestationSignatureBytes bytes.
// Every field is required; an unknown field is an error too (a client that sends fields
// the node does not hash has signed something else). kInvalidArgument naming the field
// ("attestation.<field>: ...") otherwise.
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
  // "eoa" | "erc1271" | "erc6492" (names of reference §6.4) when the signature was
  // checked: how it was valid, or the path that refused it ("eoa" when the minter has no
  // code, "erc6492" for a wrapped signature, else "erc1271"); "" when a rule refused it.
  std::string scheme;
  // When refused: a stable code for metrics and the answer, and a sentence for a human.
  // Rules, checked in this order: "minter_mismatch", "tx_mismatch", "zero_referrer",
  // "self_referral", "not_yet_valid" (issuedAt more than 300 s ahead of now),
  // "expired" (now >= expiresAt), "bad_window" (expiresAt <= issuedAt),
  // "window_too_long"; then "bad_signature" (a wrong chain or contract is folded into it,
  // since the digest binds both).
  std::string code;
  std::string message;
};

// The rules alone (no signature, no I/O): the refusal, or nullopt when they all pass.
std::optional<AttestationVerdict> check_attestation_rules(const ReferralAttestation& a,
                                                          const AttestationContext& context);

// Checks the rules, then the signature (reference §6.3): secp256k1 recovery of the digest
// equals the minter -> "eoa"; otherwise one deployless eth_call (at "latest") of the
// ERC-6492 validator (contracts/Erc6492Validator.sol), which covers deployed EIP-1271
// accounts and counterfactual ERC-6492 ones; a revert of that call is a refusal. Nonce reuse is NOT
// checked here (the store owns the used-nonce set, atomically with the claim). Contract wallets
// need `chain` for eth_call; a chain error (RPC down) is returned as a Status, never as a refusal,
// so the caller can retry instead of wrongly refusing. Thread-safe.
Result<AttestationVerdict> verify_referral_attestation(const ReferralAttestation& a,
                                                       const AttestationContext& context,
                                                       eth::ChainSource& chain);

}  // namespace claimsync::node

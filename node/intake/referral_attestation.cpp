#include "node/intake/referral_attestation.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

#include "node/intake/erc6492_validator_code.hpp"
#include "rpc/abi.hpp"
#include "rpc/bytes.hpp"
#include "rpc/ecrecover.hpp"
#include "rpc/eip712.hpp"
#include "rpc/uint256.hpp"

namespace claimsync::node {
namespace {

using nlohmann::json;

constexpr std::string_view kAttestationType =
    "ReferralAttestation(address minter,address referrer,bytes32 mintTx,bytes32 nonce,"
    "uint64 issuedAt,uint64 expiresAt)";
constexpr std::array<std::string_view, 7> kFields = {"minter",   "referrer",  "mintTx",   "nonce",
                                                     "issuedAt", "expiresAt", "signature"};
constexpr std::uint64_t kClockSkewS = 300;

// The ERC-6492 wrapper suffix (32 bytes of 0x64 0x92).
bool is_erc6492_wrapped(const eth::Bytes& sig) {
  if (sig.size() < 32) return false;
  for (std::size_t i = sig.size() - 32; i < sig.size(); ++i) {
    if (sig[i] != ((i - (sig.size() - 32)) % 2 == 0 ? 0x64 : 0x92)) return false;
  }
  return true;
}

Status bad_field(std::string_view field, const std::string& why) {
  return error(ErrorCode::kInvalidArgument, "attestation." + std::string(field) + ": " + why);
}

Result<const json*> member(const json& j, std::string_view field) {
  auto it = j.find(std::string(field));
  if (it == j.end()) return bad_field(field, "missing");
  return &*it;
}

Result<std::string> string_member(const json& j, std::string_view field) {
  auto v = member(j, field);
  if (!v) return v.status();
  if (!(*v)->is_string()) return bad_field(field, "must be a 0x-hex string");
  return (*v)->get<std::string>();
}

template <typename T>
Result<T> parsed_member(const json& j, std::string_view field) {
  auto text = string_member(j, field);
  if (!text) return text.status();
  auto value = T::parse(*text);
  if (!value) return bad_field(field, value.status().message());
  return value;
}

// A unix time: a non-negative integer JSON number, or a string of 1..20 decimal digits,
// that fits in uint64.
Result<std::uint64_t> seconds_member(const json& j, std::string_view field) {
  auto v = member(j, field);
  if (!v) return v.status();
  const json& value = **v;
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer()) {  // a signed JSON integer (nlohmann's choice for literals)
    const std::int64_t v = value.get<std::int64_t>();
    if (v < 0) return bad_field(field, "must not be negative");
    return static_cast<std::uint64_t>(v);
  }
  if (value.is_number()) return bad_field(field, "must be whole seconds");
  if (!value.is_string()) return bad_field(field, "must be decimal seconds (number or string)");
  const std::string& text = value.get_ref<const std::string&>();
  std::uint64_t out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (text.empty() || text.size() > 20 || ec != std::errc() || end != text.data() + text.size() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad_field(field, "must be decimal seconds that fit in uint64");
  }
  return out;
}

Result<eth::Bytes> signature_member(const json& j) {
  auto text = string_member(j, "signature");
  if (!text) return text.status();
  if (text->size() < 2 || text->compare(0, 2, "0x") != 0) {
    return bad_field("signature", "must start with 0x");
  }
  if (text->size() > 2 + 2 * kMaxAttestationSignatureBytes) {
    return bad_field("signature",
                     "longer than " + std::to_string(kMaxAttestationSignatureBytes) + " bytes");
  }
  auto bytes = eth::from_hex(*text);
  if (!bytes) return bad_field("signature", bytes.status().message());
  if (bytes->empty()) return bad_field("signature", "is empty");
  return bytes;
}

AttestationVerdict refused(std::string code, std::string message, std::string scheme = "") {
  AttestationVerdict v;
  v.code = std::move(code);
  v.message = std::move(message);
  v.scheme = std::move(scheme);
  return v;
}

AttestationVerdict accepted(std::string scheme) {
  AttestationVerdict v;
  v.accepted = true;
  v.scheme = std::move(scheme);
  return v;
}

}  // namespace

Result<ReferralAttestation> parse_referral_attestation(const nlohmann::json& j) {
  if (!j.is_object()) return error(ErrorCode::kInvalidArgument, "attestation must be an object");
  for (const auto& [key, value] : j.items()) {
    if (std::find(kFields.begin(), kFields.end(), key) == kFields.end()) {
      return bad_field(key,
                       "unknown field (the signed fields are minter, referrer, mintTx, "
                       "nonce, issuedAt, expiresAt, plus signature)");
    }
  }
  ReferralAttestation a;
  auto minter = parsed_member<eth::Address>(j, "minter");
  if (!minter) return minter.status();
  auto referrer = parsed_member<eth::Address>(j, "referrer");
  if (!referrer) return referrer.status();
  auto mint_tx = parsed_member<eth::Hash32>(j, "mintTx");
  if (!mint_tx) return mint_tx.status();
  auto nonce = parsed_member<eth::Hash32>(j, "nonce");
  if (!nonce) return nonce.status();
  auto issued = seconds_member(j, "issuedAt");
  if (!issued) return issued.status();
  auto expires = seconds_member(j, "expiresAt");
  if (!expires) return expires.status();
  auto signature = signature_member(j);
  if (!signature) return signature.status();
  a.minter = *minter;
  a.referrer = *referrer;
  a.mint_tx = *mint_tx;
  a.nonce = *nonce;
  a.issued_at = *issued;
  a.expires_at = *expires;
  a.signature = std::move(*signature);
  return a;
}

eth::Hash32 referral_attestation_digest(const ReferralAttestation& a, std::uint64_t chain_id,
                                        const eth::Address& verifying_contract) {
  namespace e = eth::eip712;
  static const eth::Hash32 kTypeHash = e::type_hash(kAttestationType);
  const eth::Hash32 separator =
      e::domain_separator({"claimsync", "1", chain_id, verifying_contract});
  const eth::Hash32 message = e::hash_struct(
      kTypeHash, {e::field(a.minter), e::field(a.referrer), e::field(a.mint_tx), e::field(a.nonce),
                  e::field(eth::U256(a.issued_at)), e::field(eth::U256(a.expires_at))});
  return e::digest(separator, message);
}

std::optional<AttestationVerdict> check_attestation_rules(const ReferralAttestation& a,
                                                          const AttestationContext& c) {
  if (a.minter != c.log_minter) {
    return refused("minter_mismatch", "the attestation's minter " + a.minter.lower_hex() +
                                          " is not the mint's recipient " +
                                          c.log_minter.lower_hex());
  }
  if (!a.mint_tx.is_zero() && a.mint_tx != c.tx_hash) {
    return refused("tx_mismatch",
                   "the attestation is for tx " + a.mint_tx.hex() + ", not " + c.tx_hash.hex());
  }
  if (a.referrer.is_zero()) return refused("zero_referrer", "the referrer is the zero address");
  if (a.referrer == a.minter) return refused("self_referral", "the referrer is the minter");
  if (a.issued_at > c.now_s + kClockSkewS) {
    return refused("not_yet_valid", "issuedAt " + std::to_string(a.issued_at) + " is more than " +
                                        std::to_string(kClockSkewS) + " s in the future");
  }
  if (c.now_s >= a.expires_at) {
    return refused("expired", "expired at " + std::to_string(a.expires_at) + ", now " +
                                  std::to_string(c.now_s));
  }
  if (a.expires_at <= a.issued_at) {
    return refused("bad_window", "expiresAt is not after issuedAt");
  }
  if (a.expires_at - a.issued_at > c.max_window_s) {
    return refused("window_too_long", "valid for " + std::to_string(a.expires_at - a.issued_at) +
                                          " s, more than the " + std::to_string(c.max_window_s) +
                                          " s allowed");
  }
  return std::nullopt;
}

Result<AttestationVerdict> verify_referral_attestation(const ReferralAttestation& a,
                                                       const AttestationContext& context,
                                                       eth::ChainSource& chain) {
  if (auto refusal = check_attestation_rules(a, context)) return *refusal;
  const eth::Hash32 digest = referral_attestation_digest(a, context.chain_id, context.contract);
  const bool wrapped = is_erc6492_wrapped(a.signature);
  if (!wrapped) {
    auto signer = eth::recover_address(digest, a.signature);
    if (signer && *signer == a.minter) return accepted("eoa");
  }
  // Not the minter's own key: ask the chain (ERC-1271 on a deployed account, ERC-6492 for
  // a counterfactual one) with one deployless eth_call of the validator.
  eth::Bytes data(kErc6492ValidatorCode.begin(), kErc6492ValidatorCode.end());
  const eth::abi::Value args[] = {a.minter, digest, a.signature};
  const eth::Bytes encoded = eth::abi::encode_args(args);
  data.insert(data.end(), encoded.begin(), encoded.end());
  auto result = chain.call(std::nullopt, data, eth::BlockTag::kLatest);
  if (!result) return result.status().with_context("attestation signature check (eth_call)");
  const std::string scheme = wrapped ? "erc6492" : "erc1271";
  if (result->reverted) {
    return refused("bad_signature",
                   "the signature check reverted: the minter's contract (or its "
                   "ERC-6492 factory) refused it",
                   scheme);
  }
  if (result->data == eth::Bytes{kValidatorValid}) return accepted(scheme);
  if (result->data == eth::Bytes{kValidatorNoCodeBadEcdsa}) {
    return refused("bad_signature",
                   "not signed by the minter's key (and the minter has no contract code)", "eoa");
  }
  if (result->data == eth::Bytes{kValidatorInvalid}) {
    return refused("bad_signature", "the minter's contract does not accept the signature", scheme);
  }
  return error(
      ErrorCode::kBadResponse,
      "attestation signature check: unexpected validator result " + eth::to_hex(result->data));
}

}  // namespace claimsync::node

// Fuzz target: a claim-hint request body as the API parses it (node/api/http_policy
// parse_json_body) and the referral attestation in it (node/intake/referral_attestation).
// Input: the request body; the attestation is the body's "attestation" member, or the
// body itself.
// Contract: parse_json_body gives a value or a fixed 400 (never echoing the input);
// parse_referral_attestation gives an attestation or kInvalidArgument naming the field
// ("attestation.<field>"); an accepted attestation's JSON form parses back to the same,
// and its digest and rule checks run on it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "node/api/http_policy.hpp"
#include "node/intake/referral_attestation.hpp"
#include "rpc/bytes.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace claimsync;
using namespace claimsync::node;
using nlohmann::json;

namespace {

json to_json(const ReferralAttestation& a) {
  return {{"minter", a.minter.lower_hex()},
          {"referrer", a.referrer.checksummed()},
          {"mintTx", a.mint_tx.hex()},
          {"nonce", a.nonce.hex()},
          {"issuedAt", a.issued_at},
          {"expiresAt", std::to_string(a.expires_at)},
          {"signature", eth::to_hex(a.signature)}};
}

bool same(const ReferralAttestation& a, const ReferralAttestation& b) {
  return a.minter == b.minter && a.referrer == b.referrer && a.mint_tx == b.mint_tx &&
         a.nonce == b.nonce && a.issued_at == b.issued_at && a.expires_at == b.expires_at &&
         a.signature == b.signature;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  ParsedBody parsed = parse_json_body(body);
  if (!parsed.value) {
    FUZZ_CHECK(parsed.error.status == 400, "a body that is not JSON is a 400");
    // The answer never echoes the input: it is one of two fixed answers.
    static const json kMalformed = parse_json_body("{").error.body;
    static const json kTooDeep = parse_json_body(std::string(kMaxJsonDepth + 1, '[')).error.body;
    FUZZ_CHECK(parsed.error.body == kMalformed || parsed.error.body == kTooDeep,
               "the 400 is malformed_json or json_too_deep, with a fixed message");
    return 0;
  }
  const json& j = *parsed.value;
  const json& candidate = j.is_object() && j.contains("attestation") ? j["attestation"] : j;
  auto att = parse_referral_attestation(candidate);
  if (!att.ok()) {
    FUZZ_CHECK(att.status().code() == ErrorCode::kInvalidArgument, "kInvalidArgument");
    FUZZ_CHECK(att.status().message().rfind("attestation", 0) == 0, "the error names the field");
    return 0;
  }
  FUZZ_CHECK(!att->signature.empty(), "a signature is required");
  FUZZ_CHECK(att->signature.size() <= kMaxAttestationSignatureBytes, "signature size bound");
  auto again = parse_referral_attestation(to_json(*att));
  FUZZ_CHECK(again.ok() && same(*again, *att), "attestation JSON round-trips");
  const eth::Hash32 d1 = referral_attestation_digest(*att, 42161, att->referrer);
  const eth::Hash32 d2 = referral_attestation_digest(*again, 42161, att->referrer);
  FUZZ_CHECK(d1 == d2, "the digest is a function of the fields");
  AttestationContext ctx;
  ctx.chain_id = 42161;
  ctx.log_minter = att->minter;
  ctx.tx_hash = att->mint_tx;
  ctx.now_s = att->issued_at;
  auto verdict = check_attestation_rules(*att, ctx);
  if (verdict) FUZZ_CHECK(!verdict->accepted && !verdict->code.empty(), "a refusal has a code");
  return 0;
}

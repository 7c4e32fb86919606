// EIP-712 ReferralAttestation: digest against viem's vectors, the rules (frozen now), the
// JSON parser, and the signature paths with a scripted chain (no process, no network).
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "node/intake/erc6492_validator_code.hpp"
#include "node/intake/referral_attestation.hpp"
#include "rpc/abi.hpp"
#include "rpc/ecrecover.hpp"
#include "rpc/eip712.hpp"

using namespace claimsync;
using nlohmann::json;
using node::AttestationContext;
using node::ReferralAttestation;

namespace {

// Answers eth_call with a scripted result and records the calls; everything else fails.
class ScriptedCallChain final : public eth::ChainSource {
 public:
  Result<eth::CallResult> answer = Status(ErrorCode::kInternal, "no eth_call expected");
  std::vector<eth::Bytes> calls;
  std::vector<bool> had_to;

  Result<std::uint64_t> chain_id() override { return unexpected(); }
  Result<eth::BlockHeader> header(eth::BlockRef) override { return unexpected(); }
  Result<std::vector<eth::BlockHeader>> headers(const std::vector<std::uint64_t>&) override {
    return unexpected();
  }
  Result<std::vector<eth::LogEntry>> logs(const eth::LogFilter&) override { return unexpected(); }
  Result<std::optional<eth::Receipt>> receipt(const eth::Hash32&) override { return unexpected(); }
  Result<std::vector<eth::U256>> balance_of_batch(const eth::Address&,
                                                  const std::vector<eth::Address>&,
                                                  const std::vector<eth::U256>&,
                                                  eth::BlockRef) override {
    return unexpected();
  }
  Result<eth::CallResult> call(const std::optional<eth::Address>& to, const eth::Bytes& data,
                               eth::BlockRef) override {
    calls.push_back(data);
    had_to.push_back(to.has_value());
    return answer;
  }

 private:
  static Status unexpected() { return Status(ErrorCode::kInternal, "unexpected chain call"); }
};

json viem_vectors() {
  std::ifstream in(CLAIMSYNC_SOURCE_DIR "/tests/fixtures/referral_attestation_viem.json");
  REQUIRE(in.good());
  return json::parse(in);
}

ReferralAttestation parse_ok(const json& j) {
  auto a = node::parse_referral_attestation(j);
  INFO(a.status().to_string());
  REQUIRE(a.ok());
  return *a;
}

eth::Address addr(const std::string& s) { return *eth::Address::parse(s); }
eth::Hash32 hash(const std::string& s) { return *eth::Hash32::parse(s); }

// The context under which vector `v` is valid: its chain, contract, minter, a tx.
AttestationContext context_for(const json& v, const ReferralAttestation& a) {
  AttestationContext c;
  c.chain_id = std::stoull(v["chainId"].get<std::string>());
  c.contract = addr(v["verifyingContract"]);
  c.log_minter = a.minter;
  c.tx_hash = a.mint_tx.is_zero() ? hash("0x" + std::string(64, 'a')) : a.mint_tx;
  c.now_s = a.issued_at + 60;
  return c;
}

node::AttestationVerdict verify_ok(const ReferralAttestation& a, const AttestationContext& c,
                                   eth::ChainSource& chain) {
  auto v = node::verify_referral_attestation(a, c, chain);
  INFO(v.status().to_string());
  REQUIRE(v.ok());
  return *v;
}

}  // namespace

TEST_CASE("EIP-712 type hashes are the reference's", "[attestation]") {
  CHECK(eth::eip712::type_hash(eth::eip712::kDomainType).hex() ==
        "0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f");
  CHECK(eth::eip712::type_hash("ReferralAttestation(address minter,address referrer,bytes32 "
                               "mintTx,bytes32 nonce,uint64 issuedAt,uint64 expiresAt)")
            .hex() == "0x1bb5ed76e3e5d3af20ad652c15550f461536d2013b751fc0c38b2e497e02c434");
}

TEST_CASE("digest and domain separator equal viem's hashTypedData", "[attestation]") {
  const json vectors = viem_vectors();
  REQUIRE(vectors.size() >= 3);
  for (const json& v : vectors) {
    INFO(v.dump());
    ReferralAttestation a = parse_ok(v["attestation"]);
    const std::uint64_t chain_id = std::stoull(v["chainId"].get<std::string>());
    const eth::Address contract = addr(v["verifyingContract"]);
    CHECK(eth::eip712::domain_separator({"claimsync", "1", chain_id, contract}).hex() ==
          v["domainSeparator"].get<std::string>());
    const eth::Hash32 digest = node::referral_attestation_digest(a, chain_id, contract);
    CHECK(digest.hex() == v["digest"].get<std::string>());
    auto signer = eth::recover_address(digest, a.signature);
    REQUIRE(signer.ok());
    CHECK(*signer == addr(v["signer"]));
  }
}

TEST_CASE("a viem-signed attestation from a plain key is accepted locally", "[attestation]") {
  const json vectors = viem_vectors();
  for (std::size_t i = 0; i < 2; ++i) {
    ReferralAttestation a = parse_ok(vectors[i]["attestation"]);
    ScriptedCallChain chain;  // any eth_call would fail the verification
    auto verdict = verify_ok(a, context_for(vectors[i], a), chain);
    CHECK(verdict.accepted);
    CHECK(verdict.scheme == "eoa");
    CHECK(verdict.code.empty());
    CHECK(chain.calls.empty());
  }
}

TEST_CASE("v = 0/1 is accepted, a high-s twin is refused", "[attestation]") {
  const json v = viem_vectors()[0];
  ReferralAttestation a = parse_ok(v["attestation"]);
  const AttestationContext c = context_for(v, a);
  ScriptedCallChain chain;
  chain.answer = eth::CallResult{false, {node::kValidatorNoCodeBadEcdsa}};

  ReferralAttestation low_v = a;
  low_v.signature[64] -= 27;
  CHECK(verify_ok(low_v, c, chain).accepted);
  CHECK(chain.calls.empty());

  // s' = n - s with the other v recovers the same key: EIP-2 forbids it.
  const eth::Bytes order =
      *eth::from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  ReferralAttestation twin = a;
  int borrow = 0;  // twin.s = n - s, big-endian byte subtraction
  for (int i = 31; i >= 0; --i) {
    int d = order[i] - a.signature[32 + i] - borrow;
    borrow = d < 0 ? 1 : 0;
    twin.signature[32 + i] = static_cast<std::uint8_t>(d + 256 * borrow);
  }
  twin.signature[64] = a.signature[64] == 27 ? 28 : 27;
  CHECK_FALSE(eth::recover_address(node::referral_attestation_digest(a, c.chain_id, c.contract),
                                   twin.signature)
                  .ok());
  auto verdict = verify_ok(twin, c, chain);
  CHECK_FALSE(verdict.accepted);
  CHECK(verdict.code == "bad_signature");
}

TEST_CASE("tampered, wrong chain, wrong contract, wrong signer: bad_signature", "[attestation]") {
  const json v = viem_vectors()[1];
  const ReferralAttestation a = parse_ok(v["attestation"]);
  const AttestationContext good = context_for(v, a);

  auto expect_bad = [](const ReferralAttestation& att, const AttestationContext& c) {
    ScriptedCallChain chain;
    chain.answer = eth::CallResult{false, {node::kValidatorNoCodeBadEcdsa}};
    auto verdict = verify_ok(att, c, chain);
    CHECK_FALSE(verdict.accepted);
    CHECK(verdict.code == "bad_signature");
    CHECK(verdict.scheme == "eoa");
    // One deployless call: validator code ++ abi.encode(minter, digest, signature).
    REQUIRE(chain.calls.size() == 1);
    CHECK_FALSE(chain.had_to[0]);
    const eth::abi::Value args[] = {
        att.minter, node::referral_attestation_digest(att, c.chain_id, c.contract), att.signature};
    eth::Bytes expected(node::kErc6492ValidatorCode.begin(), node::kErc6492ValidatorCode.end());
    const eth::Bytes encoded = eth::abi::encode_args(args);
    expected.insert(expected.end(), encoded.begin(), encoded.end());
    CHECK(chain.calls[0] == expected);
  };

  SECTION("tampered referrer") {
    ReferralAttestation t = a;
    t.referrer = addr("0x00000000000000000000000000000000000000aa");
    expect_bad(t, good);
  }
  SECTION("tampered nonce") {
    ReferralAttestation t = a;
    t.nonce = hash("0x" + std::string(64, '1'));
    expect_bad(t, good);
  }
  SECTION("tampered expiresAt") {
    ReferralAttestation t = a;
    t.expires_at -= 1;
    expect_bad(t, good);
  }
  SECTION("wrong chain id") {
    AttestationContext c = good;
    c.chain_id = 42161;
    expect_bad(a, c);
  }
  SECTION("wrong contract") {
    AttestationContext c = good;
    c.contract = addr("0x00000000000000000000000000000000000000bb");
    expect_bad(a, c);
  }
  SECTION("signed by another key than the minter's") {
    ReferralAttestation t = a;  // alice's vector claimed for bob's mint
    t.minter = addr(viem_vectors()[0]["signer"]);
    AttestationContext c = good;
    c.log_minter = t.minter;
    expect_bad(t, c);
  }
}

TEST_CASE("contract signatures: the validator's answer decides", "[attestation]") {
  const json v = viem_vectors()[1];
  ReferralAttestation a = parse_ok(v["attestation"]);
  a.signature = eth::Bytes(100, 0x11);  // some contract wallet's own encoding
  const AttestationContext c = context_for(v, a);
  ReferralAttestation wrapped = a;
  for (int i = 0; i < 16; ++i) {
    wrapped.signature.push_back(0x64);
    wrapped.signature.push_back(0x92);
  }
  ScriptedCallChain chain;

  chain.answer = eth::CallResult{false, {node::kValidatorValid}};
  auto ok1271 = verify_ok(a, c, chain);
  CHECK(ok1271.accepted);
  CHECK(ok1271.scheme == "erc1271");
  auto ok6492 = verify_ok(wrapped, c, chain);
  CHECK(ok6492.accepted);
  CHECK(ok6492.scheme == "erc6492");

  chain.answer = eth::CallResult{false, {node::kValidatorInvalid}};
  auto refused = verify_ok(a, c, chain);
  CHECK_FALSE(refused.accepted);
  CHECK(refused.code == "bad_signature");
  CHECK(refused.scheme == "erc1271");

  chain.answer = eth::CallResult{true, {}};
  auto reverted = verify_ok(wrapped, c, chain);
  CHECK_FALSE(reverted.accepted);
  CHECK(reverted.code == "bad_signature");
  CHECK(reverted.scheme == "erc6492");

  SECTION("a transport failure is a Status, never a refusal") {
    chain.answer = Status(ErrorCode::kUnavailable, "connection refused");
    auto r = node::verify_referral_attestation(a, c, chain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kUnavailable);
  }
  SECTION("an unexpected validator answer is a bad response, not an acceptance") {
    chain.answer = eth::CallResult{false, {0x01, 0x00}};
    auto r = node::verify_referral_attestation(a, c, chain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kBadResponse);
  }
}

TEST_CASE("rules, each refusal code, with a frozen now", "[attestation]") {
  ReferralAttestation a;
  a.minter = addr("0x1111111111111111111111111111111111111111");
  a.referrer = addr("0x2222222222222222222222222222222222222222");
  a.mint_tx = hash("0x" + std::string(64, '3'));
  a.issued_at = 1'000'000;
  a.expires_at = 1'000'000 + 3600;
  AttestationContext c;
  c.chain_id = 31337;
  c.log_minter = a.minter;
  c.tx_hash = a.mint_tx;
  c.now_s = 1'000'100;

  auto code = [&](const ReferralAttestation& att, const AttestationContext& ctx) {
    auto r = node::check_attestation_rules(att, ctx);
    return r ? r->code : std::string("pass");
  };
  CHECK(code(a, c) == "pass");
  {
    ReferralAttestation any_tx = a;
    any_tx.mint_tx = eth::Hash32();
    CHECK(code(any_tx, c) == "pass");
  }
  {
    AttestationContext ctx = c;  // the tx sender (e.g. a 4337 bundler) is irrelevant
    ctx.log_minter = addr("0x9999999999999999999999999999999999999999");
    CHECK(code(a, ctx) == "minter_mismatch");
  }
  {
    AttestationContext ctx = c;
    ctx.tx_hash = hash("0x" + std::string(64, '4'));
    CHECK(code(a, ctx) == "tx_mismatch");
  }
  {
    ReferralAttestation t = a;
    t.referrer = eth::Address();
    CHECK(code(t, c) == "zero_referrer");
    t.referrer = a.minter;
    CHECK(code(t, c) == "self_referral");
  }
  {
    AttestationContext ctx = c;
    ctx.now_s = a.issued_at - 300;  // 300 s of skew allowed
    CHECK(code(a, ctx) == "pass");
    ctx.now_s = a.issued_at - 301;
    CHECK(code(a, ctx) == "not_yet_valid");
  }
  {
    AttestationContext ctx = c;
    ctx.now_s = a.expires_at - 1;
    CHECK(code(a, ctx) == "pass");
    ctx.now_s = a.expires_at;
    CHECK(code(a, ctx) == "expired");
  }
  {
    ReferralAttestation t = a;
    t.issued_at = c.now_s + 200;
    t.expires_at = c.now_s + 100;
    CHECK(code(t, c) == "bad_window");
  }
  {
    ReferralAttestation t = a;
    t.expires_at = t.issued_at + 7 * 24 * 3600;
    CHECK(code(t, c) == "pass");
    t.expires_at += 1;
    CHECK(code(t, c) == "window_too_long");
    AttestationContext ctx = c;
    ctx.max_window_s = 60;
    CHECK(code(a, ctx) == "window_too_long");
  }
  SECTION("a rule refusal asks nothing of the chain") {
    AttestationContext ctx = c;
    ctx.now_s = a.expires_at + 1;
    ScriptedCallChain chain;
    auto v = verify_ok(a, ctx, chain);
    CHECK_FALSE(v.accepted);
    CHECK(v.code == "expired");
    CHECK(v.scheme.empty());
    CHECK_FALSE(v.message.empty());
    CHECK(chain.calls.empty());
  }
}

TEST_CASE("parse_referral_attestation: strict fields", "[attestation]") {
  const json good = viem_vectors()[0]["attestation"];
  auto fails = [](const json& j, const std::string& needle) {
    auto a = node::parse_referral_attestation(j);
    REQUIRE_FALSE(a.ok());
    CHECK(a.status().code() == ErrorCode::kInvalidArgument);
    INFO(a.status().message());
    CHECK(a.status().message().find(needle) != std::string::npos);
  };
  parse_ok(good);
  {
    json j = good;
    j["issuedAt"] = 1764590000;
    j["expiresAt"] = 1764676400u;
    CHECK(parse_ok(j).issued_at == 1764590000);
  }
  fails(json::array(), "object");
  for (const char* f :
       {"minter", "referrer", "mintTx", "nonce", "issuedAt", "expiresAt", "signature"}) {
    json j = good;
    j.erase(f);
    fails(j, std::string("attestation.") + f + ": missing");
    j[f] = true;
    fails(j, std::string("attestation.") + f);
  }
  json j = good;
  j["chainId"] = 1;
  fails(j, "attestation.chainId: unknown field");
  j = good;
  j["minter"] = "0x1234";
  fails(j, "attestation.minter");
  j = good;
  j["referrer"] = "0x70997970c51812Dc3A010C7d01b50e0d17dc79C8";  // broken EIP-55
  fails(j, "attestation.referrer");
  j = good;
  j["nonce"] = "0x" + std::string(63, '0');
  fails(j, "attestation.nonce");
  j = good;
  j["issuedAt"] = -5;
  fails(j, "attestation.issuedAt: must not be negative");
  j["issuedAt"] = 1.5;
  fails(j, "attestation.issuedAt: must be whole seconds");
  j["issuedAt"] = "18446744073709551616";  // 2^64
  fails(j, "attestation.issuedAt");
  j["issuedAt"] = "+5";
  fails(j, "attestation.issuedAt");
  j["issuedAt"] = "";
  fails(j, "attestation.issuedAt");
  j["issuedAt"] = "12 ";
  fails(j, "attestation.issuedAt");
  j = good;
  j["signature"] = "abcd";
  fails(j, "attestation.signature: must start with 0x");
  j["signature"] = "0x";
  fails(j, "attestation.signature: is empty");
  j["signature"] = "0xzz";
  fails(j, "attestation.signature");
  j["signature"] = "0x" + std::string(2 * node::kMaxAttestationSignatureBytes + 2, 'a');
  fails(j, "attestation.signature: longer than");
  j["signature"] = "0x" + std::string(2 * node::kMaxAttestationSignatureBytes, 'a');
  CHECK(parse_ok(j).signature.size() == node::kMaxAttestationSignatureBytes);
}

TEST_CASE("abi: bytes and bytes32 arguments", "[attestation]") {
  const eth::abi::Value args[] = {eth::Address(), hash("0x" + std::string(64, 'f')),
                                  eth::Bytes{0xde, 0xad}};
  const eth::Bytes enc = eth::abi::encode_args(args);
  REQUIRE(enc.size() == 5 * 32);
  CHECK(eth::to_hex(eth::ByteView(enc).subspan(32, 32)) == "0x" + std::string(64, 'f'));
  CHECK(*eth::abi::decode_uint256(enc, 2) == eth::U256(96));  // offset of the bytes
  CHECK(*eth::abi::decode_uint256(enc, 3) == eth::U256(2));   // its length
  CHECK(enc[128] == 0xde);
  CHECK(enc[129] == 0xad);
  CHECK(std::all_of(enc.begin() + 130, enc.end(), [](std::uint8_t b) { return b == 0; }));
}

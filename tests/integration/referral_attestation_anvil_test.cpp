// Integration: referrer attestations against a real anvil. Signatures come from third
// parties (anvil's eth_signTypedData_v4, npm viem's signTypedData), never from our code;
// contract wallets are tests/contracts/OwnedAccount.sol behind the CREATE2 factory
// tests/contracts/AccountFactory.sol. The verifier talks to anvil through RpcChainSource.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "node/intake/referral_attestation.hpp"
#include "rpc/abi.hpp"
#include "rpc/bytes.hpp"
#include "rpc/rpc_chain_source.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/attestation_signing.hpp"
#include "tests/support/test_accounts.hpp"
#include "tests/support/fault_server.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using claimsync::testing::Anvil;
using nlohmann::json;
using node::AttestationContext;
using node::ReferralAttestation;

namespace {

eth::Address addr(const std::string& s) { return eth::Address::parse(s).value(); }
eth::Hash32 hash(const std::string& s) { return eth::Hash32::parse(s).value(); }

std::string deploy_calldata(const std::string& owner, std::uint64_t salt) {
  return testing::TestAccounts::deploy_calldata(owner, salt);
}

json message_json(const std::string& minter, const std::string& referrer, std::uint64_t now) {
  return testing::attestation_message(minter, referrer, now);
}

std::string anvil_sign(Anvil& chain, const std::string& signer, const json& message,
                       const std::string& contract) {
  return testing::anvil_sign_attestation(chain, signer, message, contract);
}

ReferralAttestation parse_ok(const json& j) {
  auto a = node::parse_referral_attestation(j);
  INFO(a.status().to_string());
  REQUIRE(a.ok());
  return *a;
}

std::uint64_t unix_now() { return testing::unix_now_s(); }

struct World {
  Anvil chain;
  SystemClock clock;
  std::unique_ptr<eth::RpcChainSource> source;
  std::string nft = chain.deploy_claim_nft();
  testing::TestAccounts accounts{chain};
  std::string factory = accounts.factory();
  std::uint64_t now = unix_now();

  World() {
    eth::JsonRpcClientOptions o;
    o.urls = {chain.url()};
    o.chain_id = chain.chain_id();
    o.timeout_ms = 10'000;
    o.max_retries = 1;
    o.backoff_initial_ms = 10;
    o.backoff_max_ms = 50;
    auto s = eth::RpcChainSource::create(o, clock);
    REQUIRE(s.ok());
    source = std::move(*s);
  }

  std::string predict(const std::string& owner, std::uint64_t salt) {
    return accounts.predict(owner, salt);
  }
  std::string deploy_account(const std::string& owner, std::uint64_t salt) {
    return accounts.deploy(owner, salt);
  }

  AttestationContext context(const std::string& minter) const {
    AttestationContext c;
    c.chain_id = chain.chain_id();
    c.contract = addr(nft);
    c.log_minter = addr(minter);
    c.tx_hash = hash("0x" + std::string(64, 'c'));
    c.now_s = now;
    return c;
  }

  node::AttestationVerdict verify(const ReferralAttestation& a, const AttestationContext& c) {
    auto v = node::verify_referral_attestation(a, c, *source);
    INFO(v.status().to_string());
    REQUIRE(v.ok());
    INFO(v->code + ": " + v->message);
    return *v;
  }
};

void expect_refused(const node::AttestationVerdict& v, const std::string& code,
                    const std::string& scheme) {
  INFO(v.code + " / " + v.scheme + ": " + v.message);
  CHECK_FALSE(v.accepted);
  CHECK(v.code == code);
  CHECK(v.scheme == scheme);
}

}  // namespace

TEST_CASE("attestations against anvil: plain key, EIP-1271, ERC-6492", "[attestation]") {
  World w;
  const std::string referrer = w.chain.account(9);

  SECTION("plain key (anvil's eth_signTypedData_v4)") {
    const std::string minter = w.chain.account(1);
    json j = message_json(minter, referrer, w.now);
    j["signature"] = anvil_sign(w.chain, minter, j, w.nft);
    const ReferralAttestation a = parse_ok(j);
    auto v = w.verify(a, w.context(minter));
    CHECK(v.accepted);
    CHECK(v.scheme == "eoa");

    ReferralAttestation tampered = a;
    tampered.nonce = hash("0x" + std::string(64, '7'));
    expect_refused(w.verify(tampered, w.context(minter)), "bad_signature", "eoa");
    AttestationContext late = w.context(minter);
    late.now_s = a.expires_at;
    expect_refused(w.verify(a, late), "expired", "");
    AttestationContext other_chain = w.context(minter);
    other_chain.chain_id = 42161;
    expect_refused(w.verify(a, other_chain), "bad_signature", "eoa");
  }

  SECTION("deployed EIP-1271 account owned by an EOA") {
    const std::string owner = w.chain.account(2);
    const std::string account = w.deploy_account(owner, 1);
    json j = message_json(account, referrer, w.now);
    j["signature"] = anvil_sign(w.chain, owner, j, w.nft);
    const ReferralAttestation a = parse_ok(j);
    auto v = w.verify(a, w.context(account));
    CHECK(v.accepted);
    CHECK(v.scheme == "erc1271");

    json forged = message_json(account, referrer, w.now);  // signed by another key
    forged["signature"] = anvil_sign(w.chain, w.chain.account(3), forged, w.nft);
    expect_refused(w.verify(parse_ok(forged), w.context(account)), "bad_signature", "erc1271");

    ReferralAttestation tampered = a;
    tampered.referrer = addr(w.chain.account(8));
    expect_refused(w.verify(tampered, w.context(account)), "bad_signature", "erc1271");
    AttestationContext other_chain = w.context(account);
    other_chain.chain_id = 1;
    expect_refused(w.verify(a, other_chain), "bad_signature", "erc1271");
    AttestationContext other_contract = w.context(account);
    other_contract.contract = addr(w.factory);
    expect_refused(w.verify(a, other_contract), "bad_signature", "erc1271");
  }

  SECTION("counterfactual ERC-6492 account (not deployed)") {
    const std::string owner = w.chain.account(4);
    const std::string account = w.predict(owner, 2);
    json j = message_json(account, referrer, w.now);
    const std::string inner = anvil_sign(w.chain, owner, j, w.nft);
    j["signature"] = w.accounts.wrap_6492(deploy_calldata(owner, 2), inner);
    const ReferralAttestation a = parse_ok(j);
    auto v = w.verify(a, w.context(account));
    CHECK(v.accepted);
    CHECK(v.scheme == "erc6492");
    // The deployment happened inside the eth_call only.
    CHECK(w.chain.rpc("eth_getCode", json::array({account, "latest"})).get<std::string>() == "0x");

    ReferralAttestation tampered = a;
    tampered.expires_at -= 1;
    expect_refused(w.verify(tampered, w.context(account)), "bad_signature", "erc6492");
    AttestationContext other_contract = w.context(account);
    other_contract.contract = addr(w.factory);
    expect_refused(w.verify(a, other_contract), "bad_signature", "erc6492");
    AttestationContext expired = w.context(account);
    expired.now_s = a.expires_at + 1;
    expect_refused(w.verify(a, expired), "expired", "");

    // A wrapper whose factory call deploys another account (wrong salt): the check reverts.
    json wrong = message_json(account, referrer, w.now);
    wrong["signature"] =
        w.accounts.wrap_6492(deploy_calldata(owner, 3), anvil_sign(w.chain, owner, wrong, w.nft));
    expect_refused(w.verify(parse_ok(wrong), w.context(account)), "bad_signature", "erc6492");

    // Once deployed, the same wrapped signature is still valid (ERC-6492 order).
    w.deploy_account(owner, 2);
    auto after = w.verify(a, w.context(account));
    CHECK(after.accepted);
    CHECK(after.scheme == "erc6492");
  }
}

TEST_CASE("viem signs live: plain key and the owner of a 1271 account", "[attestation]") {
  World w;
  const std::string key = "0x" + std::string(63, '0') + "7";  // viem's key; no funds needed
  std::string node_path = testing::source_dir() + "/tools/node_modules";
  if (const char* extra = std::getenv("NODE_PATH"); extra != nullptr && *extra != '\0') {
    node_path += std::string(":") + extra;
  }
  auto viem = [&](const json& message) {
    json request = {{"privateKey", key},
                    {"chainId", std::to_string(w.chain.chain_id())},
                    {"verifyingContract", w.nft},
                    {"message", message}};
    testing::SpawnOptions opts;
    opts.env["NODE_PATH"] = node_path;
    auto r = testing::run_command(
        {"node", testing::source_dir() + "/tests/tools/viem_sign_attestation.cjs", request.dump()},
        std::chrono::milliseconds(60'000), opts);
    INFO(r.output);
    INFO(
        "viem missing? run scripts/setup (it installs tools/package.json into tools/node_modules)");
    REQUIRE(r.exit_code == 0);
    return json::parse(r.output);
  };

  json m = message_json("", w.chain.account(9), w.now);
  m.erase("minter");  // the key's own address
  json plain = viem(m);
  const std::string signer = plain["signer"].get<std::string>();
  const ReferralAttestation a = parse_ok(plain["attestation"]);
  CHECK(node::referral_attestation_digest(a, w.chain.chain_id(), addr(w.nft)).hex() ==
        plain["digest"].get<std::string>());
  auto v = w.verify(a, w.context(signer));
  CHECK(v.accepted);
  CHECK(v.scheme == "eoa");

  const std::string account = w.deploy_account(signer, 5);
  json owned = viem(message_json(account, w.chain.account(9), w.now));
  auto v1271 = w.verify(parse_ok(owned["attestation"]), w.context(account));
  CHECK(v1271.accepted);
  CHECK(v1271.scheme == "erc1271");
}

TEST_CASE("an unreachable chain is an error to retry, never a refusal", "[attestation]") {
  SystemClock clock;
  eth::JsonRpcClientOptions o;
  o.urls = {"http://127.0.0.1:" + std::to_string(testing::free_loopback_port())};
  o.chain_id = 31337;
  o.timeout_ms = 2'000;
  o.max_retries = 0;
  auto source = eth::RpcChainSource::create(o, clock);
  REQUIRE(source.ok());
  ReferralAttestation a;
  a.minter = addr("0x1111111111111111111111111111111111111111");
  a.referrer = addr("0x2222222222222222222222222222222222222222");
  a.issued_at = 1000;
  a.expires_at = 2000;
  a.signature = eth::Bytes(65, 0x01);
  AttestationContext c;
  c.chain_id = 31337;
  c.log_minter = a.minter;
  c.now_s = 1500;
  auto v = node::verify_referral_attestation(a, c, **source);
  REQUIRE_FALSE(v.ok());
  CHECK(v.status().is_transient());
}

TEST_CASE("eth_call failures of the contract path are errors, reverts are refusals",
          "[attestation]") {
  Anvil chain;
  testing::FaultServer proxy(chain.url());
  SystemClock clock;
  eth::JsonRpcClientOptions o;
  o.urls = {proxy.url()};
  o.chain_id = chain.chain_id();
  o.max_retries = 1;
  o.backoff_initial_ms = 10;
  o.backoff_max_ms = 20;
  auto source = eth::RpcChainSource::create(o, clock);
  REQUIRE(source.ok());
  const std::string nft = chain.deploy_claim_nft();
  const std::string minter = chain.account(1);
  json j = message_json(minter, chain.account(9), unix_now());
  j["signature"] = anvil_sign(chain, chain.account(2), j, nft);  // not the minter's key
  const ReferralAttestation a = parse_ok(j);
  AttestationContext c;
  c.chain_id = chain.chain_id();
  c.contract = addr(nft);
  c.log_minter = a.minter;
  c.now_s = unix_now();

  auto verify = [&] { return node::verify_referral_attestation(a, c, **source); };
  {
    auto v = verify();  // forwarded: the validator answers "no code, not the key"
    REQUIRE(v.ok());
    CHECK(v->code == "bad_signature");
    CHECK(v->scheme == "eoa");
  }
  testing::Fault f;
  f.method = "eth_call";
  f.kind = testing::Fault::Kind::kRpcError;
  f.rpc_code = -32602;
  f.rpc_message = "invalid argument 0: json: cannot unmarshal";
  proxy.add(f);
  {
    auto v = verify();  // a well-formed JSON-RPC error that is no revert: not an answer
    REQUIRE_FALSE(v.ok());
    CHECK(v.status().code() == ErrorCode::kRemoteError);
  }
  f.rpc_code = 3;
  f.rpc_message = "execution reverted";
  proxy.add(f);
  {
    auto v = verify();
    REQUIRE(v.ok());
    CHECK(v->code == "bad_signature");
  }
  f.kind = testing::Fault::Kind::kHttpStatus;
  f.status = 503;
  f.times = -1;
  proxy.add(f);
  {
    auto v = verify();  // the pool's bounded retries, then a transient error
    REQUIRE_FALSE(v.ok());
    CHECK(v.status().is_transient());
  }
}

// POST /v1/claims against a real `claimsync run` (issue 12): a hint right after the receipt
// puts the rows in the database long before the follower reaches the block; forged hints
// (a random hash, another contract's tx, a plain transfer, a burn, a reverted tx) change
// nothing; a hint-ingested claim whose block then leaves the chain is revoked by the scan.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <chrono>
#include <fstream>

#include "tests/support/anvil.hpp"
#include "tests/support/attestation_signing.hpp"
#include "tests/support/guarantee_node.hpp"
#include "tests/support/guarantee_report.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sqlite_scalar.hpp"
#include "tests/support/test_accounts.hpp"

namespace ct = claimsync::testing;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

struct Api {
  unsigned short port;
  json post_claim(const std::string& tx, const json& attestation = nullptr) const {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(2, 0);
    c.set_read_timeout(5, 0);
    json body = {{"tx_hash", tx}};
    if (!attestation.is_null()) body["attestation"] = attestation;
    auto r = c.Post("/v1/claims", body.dump(), "application/json");
    if (!r) return {{"transport_error", httplib::to_string(r.error())}};
    json j = json::parse(r->body, nullptr, false);
    j["http_status"] = r->status;
    return j;
  }
  // Re-posts the hint (duplicates are cheap) until it is no longer being verified.
  json settle(const std::string& tx, const json& attestation = nullptr) const {
    json last;
    ct::wait_until(
        [&] {
          last = post_claim(tx, attestation);
          const std::string s = last.value("status", "");
          return !s.empty() && s != "verifying";
        },
        milliseconds(20'000), milliseconds(50));
    return last;
  }
};

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// A node on `chain` serving the API, the follower `confirmations` behind.
struct NodeWithApi {
  ct::TempDir dir{"claimsync-intake-node"};
  unsigned short api_port = ct::free_loopback_port();
  std::string sink_db = dir.file("sink.db");
  std::unique_ptr<ct::NodeUnderTest> node;
  NodeWithApi(ct::Anvil& chain, const std::string& nft, std::uint64_t confirmations) {
    ct::GuaranteeNodeConfig config;
    config.rpc_url = chain.url();
    config.chain_id = chain.chain_id();
    config.contract = nft;
    config.start_block = 0;
    config.confirmations = confirmations;
    config.poll_interval_ms = 100;
    config.data_dir = dir.file("data");
    config.sink_url = "sqlite://" + sink_db;
    const std::string config_path = dir.file("claimsync.toml");
    std::ofstream(config_path) << ct::render_node_config(config) << "\n[api]\nenabled = true\n"
                               << "listen = \"127.0.0.1:" << api_port << "\"\n"
                               << "\n[intake]\nrecheck_ms = 50\nwatch_s = 2\n";
    node = std::make_unique<ct::NodeUnderTest>(CLAIMSYNC_BINARY, config_path, dir.file("node.log"),
                                               dir.path());
    node->start();
  }
};

}  // namespace

TEST_CASE(
    "claimsync run: a hint replicates before the follower reaches the block; forged "
    "hints change nothing; a reorged-out hint is revoked",
    "[intake]") {
  ct::Anvil chain;  // auto-mining: one block per transaction
  const std::string nft = chain.deploy_claim_nft();
  const std::string other_nft = chain.deploy_claim_nft();
  const std::string alice = chain.account(1), bob = chain.account(2), carol = chain.account(3);
  NodeWithApi n(chain, nft, 6);  // the follower stays well behind the hinted blocks
  ct::NodeUnderTest& node = *n.node;
  const std::string& sink_db = n.sink_db;
  Api api{n.api_port};
  REQUIRE(ct::wait_until([&] { return !api.post_claim("0x00").contains("transport_error"); },
                         milliseconds(30'000), milliseconds(100)));

  auto membership_of = [&](const std::string& wallet) {
    return ct::sqlite_scalar(
        sink_db, "SELECT COUNT(*) FROM membership WHERE wallet_address = '" + lower(wallet) + "'");
  };
  auto checkpoint = [&]() -> std::optional<std::uint64_t> {
    auto s = node.status();
    if (!s || !s->at("chain").at("checkpoint").is_number()) return std::nullopt;
    return s->at("chain").at("checkpoint").get<std::uint64_t>();
  };

  // 1. A hint right after the receipt: rows long before the follower reaches the block.
  const std::string tx = chain.mint(nft, alice, 3, 1);
  const std::uint64_t mint_block = chain.block_number();
  json answer = api.settle(tx);
  INFO(answer.dump() << node.log_tail(20));
  REQUIRE(answer["status"] == "claimed");
  CHECK(answer["claims"][0]["sources"] == "intake");
  REQUIRE(ct::wait_until([&] { return membership_of(alice) == 1; }, milliseconds(20'000),
                         milliseconds(50)));
  const auto cp = checkpoint();
  CHECK((!cp || *cp < mint_block));  // the follower has not scanned the block

  // 2. Forged hints change nothing.
  const std::string random_tx = "0x" + std::string(63, '0') + "7";
  const std::string other_tx = chain.mint(other_nft, bob, 2, 1);
  const std::string transfer_tx = chain.transfer(nft, 1, bob, 3, 1);
  const std::string burn_tx = chain.burn(nft, 2, 3, 1);  // bob burns what alice sent him
  const std::string reverted_tx = chain.mint_reverting(nft);
  CHECK(api.settle(other_tx)["status"] == "no_claim");
  CHECK(api.settle(transfer_tx)["status"] == "no_claim");
  CHECK(api.settle(burn_tx)["status"] == "no_claim");
  json reverted = api.settle(reverted_tx);
  CHECK(reverted["status"] == "no_claim");
  CHECK(reverted.value("reason", "").find("reverted") != std::string::npos);
  CHECK(api.settle(random_tx)["status"] == "not_found");
  CHECK(membership_of(bob) == 0);
  CHECK(ct::sqlite_scalar(sink_db, "SELECT COUNT(*) FROM membership") == 1);
  CHECK(ct::sqlite_scalar(sink_db, "SELECT COUNT(*) FROM claim_sync_queue") == 1);

  // 3. A hinted claim whose block leaves the chain: replicated at once, then revoked when
  //    the follower scans the replaced block and does not find it.
  const std::string before_reorg = chain.snapshot();
  const std::string doomed_tx = chain.mint(nft, carol, 5, 1);
  REQUIRE(api.settle(doomed_tx)["status"] == "claimed");
  REQUIRE(ct::wait_until([&] { return membership_of(carol) == 1; }, milliseconds(20'000),
                         milliseconds(50)));
  chain.revert(before_reorg);
  chain.mine(12);  // the replaced blocks, past the follower's confirmations
  const bool revoked = ct::wait_until(
      [&] {
        auto s = node.status();
        return s && s->at("claims").at("revoked").get<std::uint64_t>() == 1 &&
               membership_of(carol) == 0;
      },
      milliseconds(30'000), milliseconds(100));
  INFO(node.log_tail(30));
  CHECK(revoked);
  CHECK(ct::log_lines_with(node.log_path(), {"event=hint_claim_not_found_by_scan"}, 1).size() >= 1);
  // Alice's claim was confirmed by the scan and stays.
  CHECK(membership_of(alice) == 1);
  CHECK(node.stop(milliseconds(20'000)) == 0);
}

TEST_CASE(
    "claimsync run: a signed referral attaches the referrer; a refused one never blocks "
    "the claim; a nonce is used once",
    "[intake][attestation]") {
  ct::Anvil chain;
  const std::string nft = chain.deploy_claim_nft();
  const std::string other_nft = chain.deploy_claim_nft();
  const std::string alice = chain.account(1), bob = chain.account(2), carol = chain.account(3);
  NodeWithApi n(chain, nft, 50);  // only hints ingest during the test
  Api api{n.api_port};
  REQUIRE(ct::wait_until([&] { return !api.post_claim("0x00").contains("transport_error"); },
                         milliseconds(30'000), milliseconds(100)));
  const std::uint64_t now = ct::unix_now_s();
  auto signed_by = [&](const std::string& signer, json m, const std::string& contract,
                       std::uint64_t chain_id = 31337) {
    m["signature"] = ct::anvil_sign_attestation(chain, signer, m, contract, chain_id);
    return m;
  };

  // Accepted: alice signs "carol referred me"; the referrer lands in the database.
  const json good = signed_by(alice, ct::attestation_message(alice, carol, now, 1), nft);
  json a = api.settle(chain.mint(nft, alice, 1, 1), good);
  INFO(a.dump());
  REQUIRE(a["status"] == "claimed");
  CHECK(a["attestations"][0]["accepted"] == true);
  CHECK(a["attestations"][0]["scheme"] == "eoa");
  CHECK(a["claims"][0]["referrer"] == lower(carol));
  REQUIRE(ct::wait_until(
      [&] {
        return ct::sqlite_text(n.sink_db,
                               "SELECT referrer_wallet FROM users WHERE wallet_address = '" +
                                   lower(alice) + "'") == lower(carol);
      },
      milliseconds(20'000), milliseconds(50)));

  // Replayed: the same signed nonce on alice's next mint.
  json replay = api.settle(chain.mint(nft, alice, 2, 1), good);
  CHECK(replay["status"] == "claimed");
  CHECK(replay["attestations"][0]["code"] == "replayed");
  CHECK(replay["claims"][0]["referrer"].is_null());

  // Refused, each on a mint of bob's; every claim still goes in, without referrer.
  struct Case {
    std::string name;
    json attestation;
    std::string code;
  };
  json tampered = signed_by(bob, ct::attestation_message(bob, carol, now, 2), nft);
  tampered["referrer"] = lower(chain.account(4));
  const std::vector<Case> cases = {
      {"tampered", tampered, "bad_signature"},
      {"expired", signed_by(bob, ct::attestation_message(bob, carol, now - 7200, 3, 3600), nft),
       "expired"},
      {"wrong chain", signed_by(bob, ct::attestation_message(bob, carol, now, 4), nft, 42161),
       "bad_signature"},
      {"wrong contract", signed_by(bob, ct::attestation_message(bob, carol, now, 5), other_nft),
       "bad_signature"},
      {"signed by someone else", signed_by(carol, ct::attestation_message(bob, carol, now, 6), nft),
       "bad_signature"},
  };
  std::uint64_t level = 1;
  for (const Case& c : cases) {
    json r = api.settle(chain.mint(nft, bob, level++, 1), c.attestation);
    INFO(c.name << ": " << r.dump());
    CHECK(r["status"] == "claimed");
    CHECK(r["attestations"][0]["accepted"] == false);
    CHECK(r["attestations"][0]["code"] == c.code);
    CHECK(r["claims"][0]["referrer"].is_null());
  }
  REQUIRE(ct::wait_until(
      [&] {
        return ct::sqlite_scalar(n.sink_db,
                                 "SELECT COUNT(*) FROM membership WHERE wallet_address = '" +
                                     lower(bob) + "'") == 5;
      },
      milliseconds(20'000), milliseconds(50)));
  CHECK(ct::sqlite_text(n.sink_db, "SELECT referrer_wallet FROM users WHERE wallet_address = '" +
                                       lower(bob) + "'") == "");

  // Malformed attestation JSON is bad input: 400, nothing tracked for the tx.
  json bad = api.post_claim(chain.mint(nft, bob, 7, 1), json{{"minter", "0x12"}});
  CHECK(bad["http_status"] == 400);
  CHECK(bad["error"]["code"] == "invalid_attestation");
  CHECK(n.node->stop(milliseconds(20'000)) == 0);
}

TEST_CASE(
    "claimsync run: smart-account referrals: a deployed EIP-1271 account and a "
    "counterfactual ERC-6492 one",
    "[intake][attestation]") {
  ct::Anvil chain;
  const std::string nft = chain.deploy_claim_nft();
  ct::TestAccounts accounts(chain);
  const std::string owner = chain.account(5), carol = chain.account(3);
  const std::string deployed = accounts.deploy(owner, 1);
  const std::string counterfactual = accounts.predict(owner, 2);  // no code yet
  NodeWithApi n(chain, nft, 50);
  Api api{n.api_port};
  REQUIRE(ct::wait_until([&] { return !api.post_claim("0x00").contains("transport_error"); },
                         milliseconds(30'000), milliseconds(100)));
  const std::uint64_t now = ct::unix_now_s();

  // Deployed account: the owner signs; the node asks the account (EIP-1271).
  json m = ct::attestation_message(deployed, carol, now, 1);
  m["signature"] = ct::anvil_sign_attestation(chain, owner, m, nft);
  json r = api.settle(chain.mint(nft, deployed, 1, 1), m);
  INFO(r.dump());
  REQUIRE(r["status"] == "claimed");
  CHECK(r["attestations"][0]["accepted"] == true);
  CHECK(r["attestations"][0]["scheme"] == "erc1271");
  CHECK(r["claims"][0]["referrer"] == lower(carol));

  // Counterfactual account: the signature carries its deployment (ERC-6492).
  json m2 = ct::attestation_message(counterfactual, carol, now, 2);
  m2["signature"] = accounts.wrap_6492(ct::TestAccounts::deploy_calldata(owner, 2),
                                       ct::anvil_sign_attestation(chain, owner, m2, nft));
  json r2 = api.settle(chain.mint(nft, counterfactual, 2, 1), m2);
  INFO(r2.dump());
  REQUIRE(r2["status"] == "claimed");
  CHECK(r2["attestations"][0]["accepted"] == true);
  CHECK(r2["attestations"][0]["scheme"] == "erc6492");
  CHECK(r2["claims"][0]["referrer"] == lower(carol));
  CHECK(chain.rpc("eth_getCode", json::array({counterfactual, "latest"})).get<std::string>() ==
        "0x");  // deployed inside the eth_call only

  // Signed by someone who does not own the account: refused; the claim still goes in.
  json m3 = ct::attestation_message(deployed, carol, now, 3);
  m3["signature"] = ct::anvil_sign_attestation(chain, chain.account(6), m3, nft);
  json r3 = api.settle(chain.mint(nft, deployed, 3, 1), m3);
  INFO(r3.dump());
  CHECK(r3["status"] == "claimed");
  CHECK(r3["attestations"][0]["accepted"] == false);
  CHECK(r3["attestations"][0]["code"] == "bad_signature");
  CHECK(n.node->stop(milliseconds(20'000)) == 0);
}

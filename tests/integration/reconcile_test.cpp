// `claimsync reconcile` end to end: the real binary against a real anvil (ClaimNFT) and a
// real PostgreSQL. The store is filled by the real scanner (rescan_range) and replicated by
// the sink's normal apply/settle path; then the database and the store are made to differ
// from the chain in each way the reconciler must see.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "storage/node_store.hpp"
#include "tests/support/claim_fixtures.hpp"
#include "tests/support/reconcile_fixture.hpp"

namespace claimsync::testing {
namespace {

using nlohmann::json;
using store::Claim;

using Setup = ReconcileFixture;

std::uint64_t count(const json& j, const std::string& group, const std::string& cls) {
  return j.at(group).at(cls).at("count").get<std::uint64_t>();
}

// Every difference class at 0 except those named in `expected`.
void check_differences(const json& j, const std::map<std::string, std::uint64_t>& expected) {
  for (const auto& [name, entry] : j.at("differences").items()) {
    INFO(name);
    const auto it = expected.find(name);
    CHECK(entry.at("count").get<std::uint64_t>() == (it == expected.end() ? 0 : it->second));
  }
}

}  // namespace

TEST_CASE("reconcile: consistent, then every kind of difference; holders are information") {
  Setup s;
  // Mints: 7 claims of 4 wallets. Then a transfer and a burn, which are not claims.
  s.chain.mint(s.nft, s.wallet(1), 1, 1);
  s.chain.mint(s.nft, s.wallet(1), 3, 2);
  const std::string batch_tx = s.chain.mint_batch(s.nft, s.wallet(2), {1, 2}, {1, 1});
  s.chain.mint(s.nft, s.wallet(3), 1, 1);
  s.chain.mint(s.nft, s.wallet(4), 2, 1);
  s.chain.mint(s.nft, s.wallet(4), 1, 1);
  s.chain.transfer(s.nft, 1, s.wallet(3), 3, 1);  // wallet 3 holds level 3 without a claim
  s.chain.transfer(s.nft, 4, s.wallet(1), 2, 1);  // wallet 1 holds 2; wallet 4 no longer
  s.chain.burn(s.nft, 2, 2, 1);                   // wallet 2 burned level 2: still a member

  // A store and database that match the chain.
  s.pg.create_database("good");
  const std::string good_cfg = s.config("good", s.pg.url("good"));
  const node::Config good = s.load(good_cfg);
  {
    auto store = s.open_store(good);
    s.scan(good, *store);
    s.replicate(*store, s.pg.url("good"));
    CHECK(store->counters().of(store::ClaimState::kDone) == 7);
  }
  json ok = s.reconcile_json(good_cfg, 0);
  CHECK(ok["result"] == "consistent");
  CHECK(ok["status"] == "complete");
  check_differences(ok, {});
  CHECK(ok["store_claims"] == 7);
  CHECK(ok["chain_claims"] == 7);
  CHECK(ok["wallets"] == 4);
  CHECK(ok["pin"]["number"] == s.chain.block_number());
  CHECK(ok["pin"]["lag_blocks"] == 0);
  CHECK(count(ok, "info", "member_holder") == 5);         // 1:1, 1:3, 2:1, 3:1, 4:1
  CHECK(count(ok, "info", "member_not_holding") == 2);    // 2:2 burned, 4:2 transferred
  CHECK(count(ok, "info", "holder_without_claim") == 2);  // 3:3 and 1:2 by transfer
  CHECK(ok["cost"]["balance_pairs"] == 4 * 5);
  CHECK(ok["cost"]["balance_calls"] == 1);

  SECTION("human report and --samples") {
    RunResult text = s.reconcile(good_cfg, {"--at", "latest", "--samples", "1"});
    INFO(text.output);
    CHECK(text.exit_code == 0);
    CHECK(text.output.find("reconcile: consistent") != std::string::npos);
    CHECK(text.output.find("holder_without_claim: 2") != std::string::npos);
  }

  SECTION("--at BLOCK: claims above the pin are not compared, balances are of that block") {
    const std::string at = std::to_string(
        std::stoull(s.chain.receipt(batch_tx)["blockNumber"].get<std::string>(), nullptr, 16));
    RunResult r = s.reconcile(good_cfg, {"--json", "--at", at});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    json j = json::parse(r.output.substr(r.output.find("{\n")));
    CHECK(j["pin"]["number"] == std::stoull(at));
    CHECK(j["pin"]["lag_blocks"] == s.chain.block_number() - std::stoull(at));
    CHECK(j["chain_claims"] == 4);                   // 1:1, 1:3, 2:1, 2:2
    CHECK(count(j, "info", "newer_than_pin") == 3);  // 3:1, 4:2, 4:1
    CHECK(count(j, "info", "member_holder") == 4);   // before the transfers and the burn
    CHECK(count(j, "info", "member_not_holding") == 0);
    CHECK(count(j, "info", "holder_without_claim") == 0);
  }

  SECTION("an unreachable chain makes the report partial (exit 2); the sink is still compared") {
    s.chain.stop();
    json j = s.reconcile_json(good_cfg, 2);
    CHECK(j["status"] == "partial");
    REQUIRE(j["partial_reasons"].size() == 1);
    CHECK(j["partial_reasons"][0].get<std::string>().rfind("pin:", 0) == 0);
    CHECK(j["pin"].is_null());
    CHECK(j["differences_total"] == 0);
    CHECK(j["store_claims"] == 7);
  }

  SECTION("while a node holds the store it refuses and says what to do") {
    auto held = s.open_store(good);
    RunResult r = s.reconcile(good_cfg, {"--at", "latest"});
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("stop the node") != std::string::npos);
  }

  SECTION("an unreachable database makes the report partial") {
    s.pg.stop();
    json j = s.reconcile_json(good_cfg, 2);
    CHECK(j["status"] == "partial");
    REQUIRE(j["partial_reasons"].size() == 1);
    CHECK(j["partial_reasons"][0].get<std::string>().rfind("sink:", 0) == 0);
    s.pg.start();
  }

  SECTION("a tampered database and a store that lacks a claim") {
    // The store: every scanned claim but wallet 4's level 1, plus one the chain never had,
    // committed as one scanned range and replicated the normal way.
    s.pg.create_database("bad");
    const std::string bad_cfg = s.config("bad", s.pg.url("bad"));
    const node::Config bad = s.load(bad_cfg);
    std::vector<Claim> claims;
    {
      auto good_store = s.open_store(good);
      for (int st = 0; st < store::kClaimStateCount; ++st) {
        for (Claim c : good_store->list_by_state(static_cast<store::ClaimState>(st), 100)) {
          if (c.wallet == *eth::Address::parse(s.wallet(4)) && c.level == 1) continue;
          c.state = store::ClaimState::kPending;
          c.sent_to_sink = false;
          claims.push_back(c);
        }
      }
    }
    REQUIRE(claims.size() == 6);
    Claim forged = claims[0];
    forged.key.tx_hash = *eth::Hash32::parse("0x" + std::string(64, 'e'));
    forged.wallet = fixture_wallet(6);
    forged.level = 4;
    claims.push_back(forged);
    const std::uint64_t head = s.chain.block_number();
    {
      auto store = s.open_store(bad);
      auto committed = store->commit_range({0, head}, {}, claims, s.clock.now_ms());
      INFO(committed.status().to_string());
      REQUIRE(committed.ok());
      s.replicate(*store, s.pg.url("bad"));
    }
    REQUIRE(s.reconcile_json(bad_cfg, 1)["differences_total"] == 2);  // store vs chain only

    const std::string w1 = s.wallet(1), w2 = s.wallet(2), w3 = s.wallet(3), w4 = s.wallet(4);
    auto sql = [&](const std::string& q) { s.pg.exec(q, {}, "bad"); };
    sql("DELETE FROM membership WHERE wallet_address = '" + w3 + "' AND nft_level = 1");
    sql("INSERT INTO membership (wallet_address, nft_level, activated_at, claim_key) VALUES ('" +
        w3 + "', 5, now(), '31337:0x" + std::string(64, 'f') + ":0:0')");
    sql("INSERT INTO membership (wallet_address, nft_level, activated_at, claim_key) VALUES ('" +
        w4 + "', 4, now(), NULL)");  // not claimsync's: information only
    sql("UPDATE members SET current_level = 1 WHERE wallet_address = '" + w1 + "'");
    sql("UPDATE claim_sync_queue SET status = 'pending' WHERE wallet_address = '" + w2 +
        "' AND level = 1");
    sql("DELETE FROM claim_sync_queue WHERE wallet_address = '" + w4 + "' AND level = 2");

    json j = s.reconcile_json(bad_cfg, 1);
    CHECK(j["result"] == "differences");
    CHECK(j["status"] == "complete");
    check_differences(j, {{"missing_in_store", 1},
                          {"extra_in_store", 1},
                          {"membership_missing", 1},
                          {"membership_without_claim", 1},
                          {"current_level_wrong", 1},
                          {"ledger_status_mismatch", 1},
                          {"ledger_missing", 1}});
    CHECK(j["differences_total"] == 7);
    const json& missing = j["differences"]["missing_in_store"]["samples"][0];
    CHECK(missing["wallet"] == w4);
    CHECK(missing["level"] == 1);
    CHECK(missing["db_value"] == "absent");
    CHECK(j["differences"]["extra_in_store"]["samples"][0]["claim_key"] == forged.key.to_string());
    CHECK(j["differences"]["current_level_wrong"]["samples"][0]["db_value"] == "1");
    CHECK(j["differences"]["ledger_status_mismatch"]["samples"][0]["db_value"] == "pending");
    CHECK(count(j, "info", "membership_foreign") == 1);
    // Holders stay information: wallet 4's level 1 now has no claim in the store, and the
    // forged claim's wallet holds nothing.
    CHECK(count(j, "info", "holder_without_claim") == 3);
    CHECK(count(j, "info", "member_not_holding") == 3);
    CHECK(count(j, "info", "member_holder") == 4);
  }
}

TEST_CASE("reconcile --repair: fixes what the chain proves, refuses above the threshold") {
  Setup s;
  s.chain.mint(s.nft, s.wallet(1), 1, 1);
  s.chain.mint(s.nft, s.wallet(1), 3, 2);
  s.chain.mint_batch(s.nft, s.wallet(2), {1, 2}, {1, 1});
  s.chain.mint(s.nft, s.wallet(3), 1, 1);
  s.chain.mint(s.nft, s.wallet(4), 2, 1);
  s.chain.mint(s.nft, s.wallet(4), 1, 1);
  const std::uint64_t head = s.chain.block_number();

  // The chain's 7 claims through the scanner, into a scratch store.
  s.pg.create_database("scratch");
  std::vector<Claim> claims;
  {
    const node::Config scratch = s.load(s.config("scratch", s.pg.url("scratch")));
    auto store = s.open_store(scratch);
    s.scan(scratch, *store);
    for (Claim c : store->list_by_state(store::ClaimState::kPending, 100)) {
      c.sent_to_sink = false;
      claims.push_back(c);
    }
  }
  REQUIRE(claims.size() == 7);
  // The store under test lacks wallet 4's level 1 and holds one claim the chain never had;
  // both are replicated the normal way.
  const eth::Address w4 = *eth::Address::parse(s.wallet(4));
  claims.erase(std::remove_if(claims.begin(), claims.end(),
                              [&](const Claim& c) { return c.wallet == w4 && c.level == 1; }),
               claims.end());
  Claim forged = claims[0];
  forged.key.tx_hash = *eth::Hash32::parse("0x" + std::string(64, 'e'));
  forged.wallet = fixture_wallet(6);
  forged.level = 4;
  claims.push_back(forged);
  s.pg.create_database("rep");
  const std::string url = s.pg.url("rep");
  const node::Config cfg = s.load(s.config("rep", url));
  {
    auto store = s.open_store(cfg);
    REQUIRE(store->commit_range({0, head}, {}, claims, s.clock.now_ms()).ok());
    s.replicate(*store, url);
  }

  // The database, tampered.
  const std::string w1 = s.wallet(1), w2 = s.wallet(2), w3 = s.wallet(3);
  const std::string ghost_key = "31337:0x" + std::string(64, 'f') + ":0:0";
  auto sql = [&](const std::string& q) { s.pg.exec(q, {}, "rep"); };
  sql("DELETE FROM membership WHERE wallet_address = '" + w3 + "' AND nft_level = 1");
  // A row claimsync could have made: its ledger row and its membership row, no mint.
  sql("INSERT INTO claim_sync_queue (claim_key, chain_id, tx_hash, log_index, batch_index, "
      "wallet_address, level, amount, block_number, block_hash, block_time, status) VALUES ('" +
      ghost_key + "', 31337, '0x" + std::string(64, 'f') + "', 0, 0, '" + w3 + "', 5, '1', 1, '0x" +
      std::string(64, 'a') + "', now(), 'done')");
  sql("INSERT INTO membership (wallet_address, nft_level, activated_at, claim_key) VALUES ('" + w3 +
      "', 5, now(), '" + ghost_key + "')");
  // Not claimsync's (no claim key, no ledger row): reported as information, never touched.
  sql("INSERT INTO membership (wallet_address, nft_level, activated_at, claim_key) VALUES ('" +
      s.wallet(4) + "', 4, now(), NULL)");
  sql("UPDATE members SET current_level = 1 WHERE wallet_address = '" + w1 + "'");
  sql("UPDATE claim_sync_queue SET status = 'pending' WHERE wallet_address = '" + w2 +
      "' AND level = 1");
  const std::map<std::string, std::uint64_t> expected = {
      {"missing_in_store", 1},         {"extra_in_store", 1},       {"membership_missing", 1},
      {"membership_without_claim", 1}, {"ledger_without_claim", 1}, {"current_level_wrong", 1},
      {"ledger_status_mismatch", 1}};
  auto db_rows = [&] {
    return s.pg.scalar(
        "SELECT count(*) || '/' || (SELECT count(*) FROM claim_sync_queue) || '/' ||"
        " (SELECT string_agg(wallet_address || ':' || current_level, ',' ORDER BY"
        " wallet_address) FROM members) FROM membership",
        {}, "rep");
  };

  json before = s.reconcile_json(s.config("rep", url), 1);
  check_differences(before, expected);
  CHECK(before["differences_total"] == 7);
  CHECK(before["repair"].is_null());
  const std::string rows_before = db_rows();
  const store::StateCounters counters_before = [&] {
    auto store = s.open_store(cfg);
    return store->counters();
  }();

  SECTION("over reconcile.max_repair_fraction it refuses (exit 3) and changes nothing") {
    const std::string strict =
        s.config("rep", url, "rep-strict", "[reconcile]\nmax_repair_fraction = 0.5\n");
    json j = s.reconcile_json(strict, 3, {"--repair"});
    CHECK(j["repair"]["refused"] == true);
    CHECK(j["repair"]["refused_reason"].get<std::string>().find("max_repair_fraction") !=
          std::string::npos);
    CHECK(j["repair"]["compared"] == 7);
    CHECK(j["repair"]["ingested"] == 0);
    CHECK(db_rows() == rows_before);
    {
      auto store = s.open_store(cfg);
      CHECK(store->counters().by_state == counters_before.by_state);
    }
    check_differences(s.reconcile_json(strict, 1), expected);
    RunResult text = s.reconcile(strict, {"--at", "latest", "--repair"});
    INFO(text.output);
    CHECK(text.exit_code == 3);
    CHECK(text.output.find("repair: REFUSED: 7 difference(s) among 7 claim(s)") !=
          std::string::npos);
  }

  SECTION("--repair, then a second run is consistent; the foreign row survives") {
    const std::string lax =
        s.config("rep", url, "rep-lax", "[reconcile]\nmax_repair_fraction = 1.0\n");
    json j = s.reconcile_json(lax, 1, {"--repair", "--repair-wait-s", "60"});
    INFO(j.dump(2));
    CHECK(j["repair"]["refused"] == false);
    CHECK(j["repair"]["ingested"] == 1);   // wallet 4's level 1
    CHECK(j["repair"]["reapplied"] == 3);  // w3:1 (row), w2:1 (ledger), w1:3 (current_level)
    CHECK(j["repair"]["revoked"] == 2);    // the ghost key and the forged claim
    CHECK(j["repair"]["settled"] == 6);
    CHECK(j["repair"]["unsettled"] == 0);
    CHECK(j["repair"]["left"] == 0);

    json after = s.reconcile_json(lax, 0);
    check_differences(after, {});
    CHECK(count(after, "info", "membership_foreign") == 1);
    CHECK(s.pg.scalar("SELECT count(*) FROM membership WHERE wallet_address = $1 AND "
                      "nft_level = 4 AND claim_key IS NULL",
                      {s.wallet(4)}, "rep") == "1");
    CHECK(s.pg.scalar("SELECT status FROM claim_sync_queue WHERE claim_key = $1", {ghost_key},
                      "rep") == "revoked");
    CHECK(s.pg.scalar("SELECT current_level FROM members WHERE wallet_address = $1", {w1}, "rep") ==
          "3");
    CHECK(s.pg.scalar("SELECT count(*) FROM members WHERE wallet_address = $1",
                      {fixture_wallet(6).lower_hex()}, "rep") == "0");
    auto store = s.open_store(cfg);
    auto back = store->list_by_wallet(w4, 10);
    bool ingested = false;
    for (const Claim& c : back) {
      if (c.level == 1) {
        ingested = c.state == store::ClaimState::kDone &&
                   (c.sources & store::kSourceReconcile) != 0 && c.block_time > 0;
      }
    }
    CHECK(ingested);
    CHECK(store->get(forged.key)->state == store::ClaimState::kRevoked);
  }
}

}  // namespace claimsync::testing

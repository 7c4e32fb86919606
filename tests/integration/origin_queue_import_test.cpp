// `claimsync reconcile --import-origin-queue` end to end: a deployment of the origin design
// adopted by the real binary against a real anvil (ClaimNFT) and a real PostgreSQL. The
// origin's claim_sync_queue (its CREATE TABLE's columns that matter) holds real mints the
// store already has, real mints it lacks (in blocks the node has not scanned yet), the
// recovery scanner's made-up `recovery_...` rows, a reverted tx, another contract's mint, a
// plain ETH transfer and a hash the chain does not know.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "storage/node_store.hpp"
#include "tests/support/reconcile_fixture.hpp"

namespace claimsync::testing {
namespace {

using nlohmann::json;

// The origin's sql/create_claim_sync_queue.sql, the columns and constraints that matter.
const char* const kOriginQueue =
    "CREATE TABLE claim_sync_queue (id UUID PRIMARY KEY DEFAULT gen_random_uuid(),"
    " wallet_address VARCHAR(42) NOT NULL, level INTEGER NOT NULL,"
    " tx_hash VARCHAR(66) NOT NULL UNIQUE, status VARCHAR(20) NOT NULL DEFAULT 'pending',"
    " retry_count INTEGER DEFAULT 0, error_message TEXT, source VARCHAR(50),"
    " created_at TIMESTAMP DEFAULT NOW(), updated_at TIMESTAMP DEFAULT NOW(),"
    " metadata JSONB DEFAULT '{}'::jsonb,"
    " CONSTRAINT valid_status CHECK (status IN ('pending', 'processing', 'completed',"
    " 'failed', 'retrying')))";

std::uint64_t import_count(const json& j, const std::string& cls) {
  const json& im = j.at("origin_import");
  if (im.contains(cls)) return im.at(cls).at("count").get<std::uint64_t>();
  return im.at("not_a_mint").at(cls).at("count").get<std::uint64_t>();
}

std::string upper_hex(const std::string& tx) {
  std::string out = tx;
  std::transform(out.begin() + 2, out.end(), out.begin() + 2,
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

TEST_CASE("reconcile --import-origin-queue: real mints ingested, the rest classified") {
  ReconcileFixture s;
  const std::string other = s.chain.deploy_claim_nft();  // another contract
  const std::string w1 = s.wallet(1), w2 = s.wallet(2), w3 = s.wallet(3), w4 = s.wallet(4);
  const std::string a = s.chain.mint(s.nft, w1, 1, 1);
  const std::string b = s.chain.mint_batch(s.nft, w2, {1, 2}, {1, 1});

  // The origin's database: its queue, which `claimsync migrate` refuses until it is renamed.
  s.pg.create_database("origin");
  const std::string url = s.pg.url("origin");
  auto sql = [&](const std::string& q) { s.pg.exec(q, {}, "origin"); };
  sql(kOriginQueue);
  const std::string cfg = s.config("node", url);
  RunResult refused = run_command({CLAIMSYNC_BINARY, "migrate", "--config", cfg});
  INFO(refused.output);
  REQUIRE(refused.exit_code == 1);
  REQUIRE(refused.output.find("RENAME TO claim_sync_queue_old") != std::string::npos);
  sql("ALTER TABLE claim_sync_queue RENAME TO claim_sync_queue_old");
  RunResult migrated = run_command({CLAIMSYNC_BINARY, "migrate", "--config", cfg});
  INFO(migrated.output);
  REQUIRE(migrated.exit_code == 0);

  // The node has scanned (and replicated) a and b; the later mints are not scanned yet.
  const node::Config config = s.load(cfg);
  {
    auto store = s.open_store(config);
    s.scan(config, *store);
    s.replicate(*store, url);
    REQUIRE(store->counters().of(store::ClaimState::kDone) == 3);
  }
  const std::string c = s.chain.mint(s.nft, w3, 1, 1);
  const std::string d = s.chain.mint(s.nft, w4, 3, 1);
  const std::string reverted = s.chain.mint_reverting(s.nft);
  const std::string foreign_contract = s.chain.mint(other, s.wallet(5), 1, 1);
  const std::string plain_transfer =
      s.chain.send_transaction({{"from", s.wallet(0)}, {"to", s.wallet(5)}, {"value", "0x1"}});
  const std::string unknown = "0x" + std::string(64, 'a');
  // The recovery scanner's `recovery_${Date.now()}_${wallet}_${level}` is 67 characters,
  // one more than its own VARCHAR(66) takes: shortened wallets here.
  const std::string placeholder1 = "recovery_1700000000000_" + w1.substr(0, 38) + "_2";
  const std::string placeholder2 = "recovery_1700000000001_" + w3.substr(0, 38) + "_4";
  int n = 0;
  for (const std::string& tx : {a, upper_hex(a), b, c, d, reverted, foreign_contract,
                                plain_transfer, unknown, placeholder1, placeholder2}) {
    s.pg.exec(
        "INSERT INTO claim_sync_queue_old (wallet_address, level, tx_hash, status, source)"
        " VALUES ($1, $2, $3, 'completed', $4)",
        {w1, std::to_string(1 + n % 3), tx, n >= 9 ? "recovery_scanner" : "frontend"}, "origin");
    ++n;
  }
  const std::vector<std::string> import = {"--import-origin-queue", "claim_sync_queue_old",
                                           "--import-retry-s",      "1",
                                           "--repair-wait-s",       "60"};
  auto db_rows = [&] {
    return s.pg.scalar(
        "SELECT (SELECT string_agg(wallet_address || ':' || nft_level || ':' ||"
        " coalesce(claim_key, '-'), ',' ORDER BY 1) FROM membership) || '#' ||"
        " (SELECT string_agg(claim_key || ':' || status, ',' ORDER BY 1) FROM claim_sync_queue)",
        {}, "origin");
  };
  auto store_counters = [&] {
    auto store = s.open_store(config);
    return store->counters().by_state;
  };

  SECTION("a bad, missing or wrong table: clear error, exit 2, nothing changed") {
    const std::string rows_before = db_rows();
    const auto counters_before = store_counters();
    for (const auto& [table, says] : std::vector<std::pair<std::string, std::string>>{
             {"claim_sync_queue_old; DROP TABLE members", "plain SQL name"},
             {"a.b.c", "at most schema.name"},
             {"nosuch", "no table nosuch"},
             {"public.nosuch", "no table public.nosuch"},
             {"members", "has no tx_hash column"},
             {"claim_sync_queue", "claimsync's own ledger"}}) {
      RunResult r = s.reconcile(cfg, {"--import-origin-queue", table, "--at", "latest"});
      INFO(table << ": " << r.output);
      CHECK(r.exit_code == 2);
      CHECK(r.output.find(says) != std::string::npos);
    }
    CHECK(db_rows() == rows_before);
    CHECK(store_counters() == counters_before);
    CHECK(s.pg.scalar("SELECT count(*) FROM members", {}, "origin") == "2");
  }

  SECTION("import, then a second run finds the real ones already known") {
    RunResult text = s.reconcile(cfg, {"--import-origin-queue", "Public.Claim_Sync_Queue_Old",
                                       "--import-retry-s", "1", "--at", "latest"});
    INFO(text.output);
    CHECK(text.exit_code == 0);  // the database equals the chain after the import
    CHECK(text.output.find("reconcile import: 8/8 tx hash(es) verified") != std::string::npos);
    CHECK(text.output.find("origin queue import (Public.Claim_Sync_Queue_Old): 11 row(s), 10 "
                           "distinct tx hash(es), 1 duplicate(s)") != std::string::npos);
    CHECK(text.output.find("ingested: 2 tx (2 claim(s); 2 settled in the sink, 0 not yet)") !=
          std::string::npos);
    CHECK(text.output.find("not_a_mint: 6 (placeholder 2, no_receipt 1, reverted 1, foreign 2)") !=
          std::string::npos);
    CHECK(text.output.find("placeholder tx=" + placeholder1) != std::string::npos);
    CHECK(text.output.find("reconcile: consistent") != std::string::npos);

    // The claims went through the normal path: store (source reconcile) -> replicator -> sink.
    {
      auto store = s.open_store(config);
      for (const std::string& tx : {c, d}) {
        auto claims = store->list_by_tx(31337, *eth::Hash32::parse(tx));
        REQUIRE(claims.size() == 1);
        CHECK(claims[0].state == store::ClaimState::kDone);
        CHECK(claims[0].sources == store::kSourceReconcile);
      }
      CHECK(store->list_by_tx(31337, *eth::Hash32::parse(reverted)).empty());
      CHECK(store->counters().total() == 5);
    }
    CHECK(s.pg.scalar("SELECT count(*) FROM membership WHERE claim_key IS NOT NULL AND"
                      " ((wallet_address = $1 AND nft_level = 1) OR"
                      "  (wallet_address = $2 AND nft_level = 3))",
                      {w3, w4}, "origin") == "2");
    CHECK(s.pg.scalar("SELECT count(*) FROM claim_sync_queue_old", {}, "origin") == "11");

    json again = s.reconcile_json(cfg, 0, import);
    INFO(again.dump(2));
    CHECK(again["result"] == "consistent");
    CHECK(again["origin_import"]["rows"] == 11);
    CHECK(again["origin_import"]["duplicates"] == 1);
    CHECK(import_count(again, "ingested") == 0);
    CHECK(import_count(again, "already_known") == 4);
    CHECK(again["origin_import"]["not_a_mint"]["count"] == 6);
    CHECK(import_count(again, "placeholder") == 2);
    CHECK(import_count(again, "no_receipt") == 1);
    CHECK(import_count(again, "reverted") == 1);
    CHECK(import_count(again, "foreign") == 2);
    CHECK(import_count(again, "scan_disagrees") == 0);
    CHECK(import_count(again, "unverified") == 0);
    const json& reverted_sample = again["origin_import"]["not_a_mint"]["reverted"]["samples"][0];
    CHECK(reverted_sample["tx"] == reverted);
    CHECK(reverted_sample["reason"].get<std::string>().find("reverted") != std::string::npos);

    SECTION("the chain unreachable: partial (exit 2), nothing ingested") {
      const auto counters_before = store_counters();
      s.chain.stop();
      json j = s.reconcile_json(cfg, 2, import);
      CHECK(j["status"] == "partial");
      CHECK(import_count(j, "already_known") == 4);  // from the store, no RPC
      CHECK(import_count(j, "placeholder") == 2);
      CHECK(import_count(j, "unverified") == 4);
      CHECK(import_count(j, "ingested") == 0);
      bool named = false;
      for (const json& r : j["partial_reasons"])
        named |= r.get<std::string>().rfind("import: 4 tx hash(es)", 0) == 0;
      CHECK(named);
      CHECK(store_counters() == counters_before);
    }
  }
}

TEST_CASE("reconcile --import-origin-queue: a mint the scan covered without finding it") {
  // The store scanned every block but lacks one mint (a lost claim): the hint path leaves
  // that to the scan, the import says so, and the comparison reports missing_in_store.
  ReconcileFixture s;
  const std::string w1 = s.wallet(1);
  s.chain.mint(s.nft, w1, 1, 1);
  const std::string lost = s.chain.mint(s.nft, s.wallet(2), 2, 1);
  s.pg.create_database("lost");
  const std::string url = s.pg.url("lost");
  const std::string cfg = s.config("lost", url);
  const node::Config config = s.load(cfg);
  {
    auto scratch_cfg = s.load(s.config("scratch", url));
    auto scratch = s.open_store(scratch_cfg);
    s.scan(scratch_cfg, *scratch);
    std::vector<store::Claim> claims;
    for (store::Claim cl : scratch->list_by_state(store::ClaimState::kPending, 10)) {
      if (cl.key.tx_hash.hex() != lost) claims.push_back(cl);
    }
    REQUIRE(claims.size() == 1);
    auto store = s.open_store(config);
    REQUIRE(store->commit_range({0, s.chain.block_number()}, {}, claims, s.clock.now_ms()).ok());
    s.replicate(*store, url);
  }
  s.pg.exec("CREATE TABLE origin_queue (tx_hash VARCHAR(66) NOT NULL UNIQUE)", {}, "lost");
  s.pg.exec("INSERT INTO origin_queue (tx_hash) VALUES ($1)", {lost}, "lost");
  json j =
      s.reconcile_json(cfg, 1, {"--import-origin-queue", "origin_queue", "--import-retry-s", "1"});
  INFO(j.dump(2));
  CHECK(import_count(j, "scan_disagrees") == 1);
  CHECK(import_count(j, "ingested") == 0);
  CHECK(j["differences"]["missing_in_store"]["count"] == 1);
}

}  // namespace claimsync::testing

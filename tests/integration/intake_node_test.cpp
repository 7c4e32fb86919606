// POST /v1/claims against a real `claimsync run` (issue 12): a hint right after the receipt
// puts the rows in the database long before the follower reaches the block; forged hints
// (a random hash, another contract's tx, a plain transfer, a burn, a reverted tx) change
// nothing; a hint-ingested claim whose block then leaves the chain is revoked by the scan.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <httplib.h>

#include <chrono>
#include <fstream>

#include "tests/support/anvil.hpp"
#include "tests/support/guarantee_node.hpp"
#include "tests/support/guarantee_report.hpp"
#include "tests/support/process.hpp"

namespace ct = claimsync::testing;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

struct Api {
  unsigned short port;
  json post_claim(const std::string& tx) const {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(2, 0);
    c.set_read_timeout(5, 0);
    auto r = c.Post("/v1/claims", json{{"tx_hash", tx}}.dump(), "application/json");
    if (!r) return {{"transport_error", httplib::to_string(r.error())}};
    json j = json::parse(r->body, nullptr, false);
    j["http_status"] = r->status;
    return j;
  }
  // Re-posts the hint (duplicates are cheap) until it is no longer being verified.
  json settle(const std::string& tx) const {
    json last;
    ct::wait_until(
        [&] {
          last = post_claim(tx);
          const std::string s = last.value("status", "");
          return !s.empty() && s != "verifying";
        },
        milliseconds(20'000), milliseconds(50));
    return last;
  }
};

std::int64_t sink_count(const std::string& db, const std::string& sql) {
  try {
    SQLite::Database d(db, SQLite::OPEN_READONLY);
    d.setBusyTimeout(2'000);
    SQLite::Statement q(d, sql);
    return q.executeStep() ? q.getColumn(0).getInt64() : -1;
  } catch (const std::exception&) {
    return -1;  // not created / migrated yet
  }
}

}  // namespace

TEST_CASE(
    "claimsync run: a hint replicates before the follower reaches the block; forged "
    "hints change nothing; a reorged-out hint is revoked",
    "[intake]") {
  ct::TempDir dir("claimsync-intake-node");
  ct::Anvil chain;  // auto-mining: one block per transaction
  const std::string nft = chain.deploy_claim_nft();
  const std::string other_nft = chain.deploy_claim_nft();
  const std::string alice = chain.account(1), bob = chain.account(2), carol = chain.account(3);

  const unsigned short api_port = ct::free_loopback_port();
  ct::GuaranteeNodeConfig config;
  config.rpc_url = chain.url();
  config.chain_id = chain.chain_id();
  config.contract = nft;
  config.start_block = 0;
  config.confirmations = 6;  // the follower stays well behind the hinted blocks
  config.poll_interval_ms = 100;
  config.data_dir = dir.file("data");
  const std::string sink_db = dir.file("sink.db");
  config.sink_url = "sqlite://" + sink_db;
  const std::string config_path = dir.file("claimsync.toml");
  std::ofstream(config_path) << ct::render_node_config(config) << "\n[api]\nenabled = true\n"
                             << "listen = \"127.0.0.1:" << api_port << "\"\n"
                             << "\n[intake]\nrecheck_ms = 50\nwatch_s = 2\n";
  ct::NodeUnderTest node(CLAIMSYNC_BINARY, config_path, dir.file("node.log"), dir.path());
  node.start();
  Api api{api_port};
  REQUIRE(ct::wait_until([&] { return !api.post_claim("0x00").contains("transport_error"); },
                         milliseconds(30'000), milliseconds(100)));

  auto membership_of = [&](const std::string& wallet) {
    std::string lower = wallet;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return sink_count(sink_db,
                      "SELECT COUNT(*) FROM membership WHERE wallet_address = '" + lower + "'");
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
  CHECK(sink_count(sink_db, "SELECT COUNT(*) FROM membership") == 1);
  CHECK(sink_count(sink_db, "SELECT COUNT(*) FROM claim_sync_queue") == 1);

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

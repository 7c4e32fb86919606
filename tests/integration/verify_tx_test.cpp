// `claimsync verify-tx` end to end: the real binary against a real anvil with ClaimNFT.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/support/anvil.hpp"
#include "tests/support/process.hpp"

using claimsync::testing::Anvil;
using claimsync::testing::RunResult;
using claimsync::testing::TempDir;
using nlohmann::json;

namespace {

struct Setup {
  Anvil chain;
  std::string nft = chain.deploy_claim_nft();
  TempDir dir{"claimsync-verify-tx"};
  std::string config = [this] {
    const std::string path = dir.file("claimsync.toml");
    std::ofstream(path) << "[chain]\n"
                        << "rpc_urls = [\"" << chain.url() << "\"]\n"
                        << "chain_id = 31337\n"
                        << "contract = \"" << nft << "\"\n"
                        << "levels = [1, 2, 3, 4, 5]\n"
                        << "[rpc]\ntimeout_ms = 3000\nmax_retries = 1\nbackoff_initial_ms = 10\n"
                        << "[storage]\ndata_dir = \"" << dir.file("data") << "\"\n";
    return path;
  }();

  RunResult verify(const std::string& tx, bool as_json) {
    std::vector<std::string> argv = {CLAIMSYNC_BINARY, "verify-tx", "--config", config, tx};
    if (as_json) argv.push_back("--json");
    return claimsync::testing::run_command(argv, std::chrono::milliseconds(30'000));
  }
  json verify_json(const std::string& tx, int expected_exit) {
    RunResult r = verify(tx, true);
    INFO(r.output);
    CHECK(r.exit_code == expected_exit);
    // Logs go to stderr, interleaved: the JSON document is the part starting at '{'.
    const auto start = r.output.find("{\n");
    REQUIRE(start != std::string::npos);
    const auto end = r.output.find("\n}", start);
    REQUIRE(end != std::string::npos);
    return json::parse(r.output.substr(start, end + 2 - start));
  }
};

}  // namespace

TEST_CASE("verify-tx: single mint, batch mint, transfer, reverted, unknown, malformed") {
  Setup s;
  const std::string wallet = s.chain.account(1);

  SECTION("a single mint") {
    const std::string tx = s.chain.mint(s.nft, wallet, 3, 2);
    json j = s.verify_json(tx, 0);
    CHECK(j["verdict"] == "mints");
    CHECK(j["status"] == "success");
    REQUIRE(j["mints"].size() == 1);
    CHECK(j["mints"][0]["wallet"] == wallet);
    CHECK(j["mints"][0]["level"] == "3");
    CHECK(j["mints"][0]["amount"] == "2");
    CHECK(j["mints"][0]["batch_index"] == 0);
    CHECK(j["mints"][0]["block"] == j["block"]);

    RunResult text = s.verify(tx, false);
    CHECK(text.exit_code == 0);
    CHECK(text.output.find("verdict") != std::string::npos);
    CHECK(text.output.find(wallet) != std::string::npos);
  }

  SECTION("a batch mint of 3 levels") {
    const std::string tx = s.chain.mint_batch(s.nft, wallet, {1, 4, 5}, {1, 1, 7});
    json j = s.verify_json(tx, 0);
    CHECK(j["verdict"] == "mints");
    REQUIRE(j["mints"].size() == 3);
    for (int i = 0; i < 3; ++i) {
      CHECK(j["mints"][i]["batch_index"] == i);
      CHECK(j["mints"][i]["wallet"] == wallet);
      CHECK(j["mints"][i]["log_index"] == j["mints"][0]["log_index"]);
    }
    CHECK(j["mints"][1]["level"] == "4");
    CHECK(j["mints"][2]["amount"] == "7");
  }

  SECTION("a mint of a level outside chain.levels does not count") {
    const std::string tx = s.chain.mint(s.nft, wallet, 99, 1);
    json j = s.verify_json(tx, 1);
    CHECK(j["verdict"] == "no_mint");
    REQUIRE(j["mints"].size() == 1);
    CHECK(j["mints"][0]["level_configured"] == false);
  }

  SECTION("a plain transfer holds no mint") {
    s.chain.mint(s.nft, wallet, 2, 1);
    const std::string tx = s.chain.transfer(s.nft, 1, s.chain.account(2), 2, 1);
    json j = s.verify_json(tx, 1);
    CHECK(j["verdict"] == "no_mint");
    CHECK(j["status"] == "success");
    CHECK(j["mints"].empty());
    RunResult text = s.verify(tx, false);
    CHECK(text.exit_code == 1);
    CHECK(text.output.find("holds no mint") != std::string::npos);
  }

  SECTION("a reverted transaction") {
    const std::string tx = s.chain.mint_reverting(s.nft);
    json j = s.verify_json(tx, 1);
    CHECK(j["verdict"] == "failed");
    CHECK(j["status"] == "reverted");
    RunResult text = s.verify(tx, false);
    CHECK(text.output.find("reverted") != std::string::npos);
  }

  SECTION("an unknown hash") {
    json j = s.verify_json("0x" + std::string(64, 'b'), 1);
    CHECK(j["verdict"] == "unknown");
    RunResult text = s.verify("0x" + std::string(64, 'b'), false);
    CHECK(text.exit_code == 1);
    CHECK(text.output.find("do not know this transaction") != std::string::npos);
  }

  SECTION("a malformed hash: usage error") {
    for (const std::string& bad : std::vector<std::string>{
             "0x1234", "zz", "0x" + std::string(64, 'g'), std::string(66, 'a')}) {
      RunResult r = s.verify(bad, false);
      INFO(r.output);
      CHECK(r.exit_code == 2);
      CHECK(r.output.find("is not a transaction hash") != std::string::npos);
    }
  }

  SECTION("no endpoint reachable: exit 1 with advice, bounded") {
    s.chain.stop();
    RunResult r = s.verify("0x" + std::string(64, 'b'), false);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("cannot read the receipt") != std::string::npos);
  }
}

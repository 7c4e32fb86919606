// The follower against a real anvil chain: many wallets mint (single and batch) while
// anvil_reorg replaces the last 1..3 blocks with different transactions. With
// confirmations = 5 no claim is ever orphaned; with 0 every orphan is detected. At the
// end the outbox's live claims equal the canonical mints the test recomputes itself from
// anvil's eth_getLogs (its own decoding, not the node's). Also `claimsync rescan` end to
// end.
#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "node/follower.hpp"
#include "rpc/keccak.hpp"
#include "rpc/rpc_chain_source.hpp"
#include "storage/node_store.hpp"
#include "storage/node_store_check.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/follower_harness.hpp"
#include "tests/support/outbox_view.hpp"

using namespace claimsync;
using nlohmann::json;
using testing::Anvil;

namespace {

std::uint64_t hex_u64(const std::string& hex) { return std::stoull(hex, nullptr, 16); }

template <typename T>
T must(Result<T> r) {
  if (!r.ok()) throw std::runtime_error(r.status().to_string());
  return std::move(r.value());
}

// The canonical mints of `contract` in [from, to] as claims, decoded here from the raw
// JSON of eth_getLogs (32-byte words, no ABI library), for levels 1..19, amount > 0.
std::vector<store::Claim> canonical_mints(Anvil& anvil, const std::string& contract,
                                          std::uint64_t from, std::uint64_t to) {
  const std::string single =
      eth::keccak256(std::string_view("TransferSingle(address,address,address,uint256,uint256)"))
          .hex();
  const std::string batch =
      eth::keccak256(std::string_view("TransferBatch(address,address,address,uint256[],uint256[])"))
          .hex();
  json logs = anvil.rpc("eth_getLogs", {{{"address", contract},
                                         {"fromBlock", eth::U256(from).to_quantity()},
                                         {"toBlock", eth::U256(to).to_quantity()}}});
  std::vector<store::Claim> out;
  for (const json& log : logs) {
    const std::string topic0 = log["topics"][0];
    const std::string from_topic = log["topics"][2];
    if ((topic0 != single && topic0 != batch) ||
        from_topic != std::string("0x") + std::string(64, '0')) {
      continue;
    }
    const std::string data = log["data"].get<std::string>().substr(2);
    auto word = [&](std::size_t i) { return hex_u64(data.substr(64 * i + 48, 16)); };
    std::vector<std::pair<std::uint64_t, std::uint64_t>> items;
    if (topic0 == single) {
      items.push_back({word(0), word(1)});
    } else {
      const std::size_t ids_at = word(0) / 32, values_at = word(1) / 32, n = word(ids_at);
      for (std::size_t k = 0; k < n; ++k)
        items.push_back({word(ids_at + 1 + k), word(values_at + 1 + k)});
    }
    for (std::uint32_t k = 0; k < items.size(); ++k) {
      const auto [id, value] = items[k];
      if (id < 1 || id > 19 || value == 0) continue;
      store::Claim c;
      c.key = {31337, must(eth::Hash32::parse(log["transactionHash"].get<std::string>())),
               static_cast<std::uint32_t>(hex_u64(log["logIndex"])), k};
      c.wallet = must(eth::Address::parse("0x" + log["topics"][3].get<std::string>().substr(26)));
      c.level = static_cast<std::uint32_t>(id);
      c.amount = value;
      c.block_number = hex_u64(log["blockNumber"]);
      c.block_hash = must(eth::Hash32::parse(log["blockHash"].get<std::string>()));
      c.block_time = hex_u64(anvil.block(c.block_number)["timestamp"]);
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::unique_ptr<eth::RpcChainSource> chain_source(const Anvil& anvil, Clock& clock) {
  eth::JsonRpcClientOptions o;
  o.urls = {anvil.url()};
  o.chain_id = anvil.chain_id();
  o.backoff_initial_ms = 20;
  o.backoff_max_ms = 200;
  return must(eth::RpcChainSource::create(o, clock));
}

node::FollowerOptions anvil_follower_options(const std::string& contract,
                                             std::uint64_t confirmations) {
  node::FollowerOptions o;
  o.chain_id = 31337;
  o.contract = must(eth::Address::parse(contract));
  o.start_block = 1;
  o.confirmations = confirmations;
  o.poll_interval_ms = 20;
  o.levels = testing::default_levels();
  o.range_blocks = 7;  // several ranges even for a short chain
  o.error_backoff_initial_ms = 20;
  o.error_backoff_max_ms = 200;
  return o;
}

// Random wallets, levels (some outside 1..19), amounts, single or batch mints.
class MintLoad {
 public:
  MintLoad(Anvil& anvil, std::string contract, std::uint64_t seed)
      : anvil_(anvil), contract_(std::move(contract)), rng_(seed) {}

  std::string wallet() {
    std::string w = "0x";
    for (int i = 0; i < 40; ++i) w += "0123456789abcdef"[rng_() % 16];
    return w;
  }
  json tx() {
    const std::size_t from = 1 + rng_() % 9;
    const std::uint64_t id = rng_() % 21;  // 0 and 20: not levels
    if (rng_() % 3 == 0) {
      return anvil_.mint_batch_tx(contract_, wallet(), {id, (id + 3) % 21, (id + 9) % 21},
                                  {1, 1 + rng_() % 4, rng_() % 2}, from);
    }
    return anvil_.mint_tx(contract_, wallet(), id, 1 + rng_() % 3, from);
  }
  void send(int n) {
    for (int i = 0; i < n; ++i) anvil_.send_transaction(tx());
  }
  // Replaces the last `depth` blocks with blocks holding other mints.
  void reorg(std::uint64_t depth) {
    std::vector<Anvil::ReplayedTx> replayed;
    for (std::uint64_t i = 0; i < depth; ++i) replayed.push_back({tx(), i});
    anvil_.reorg(depth, replayed);
  }
  std::uint64_t pick(std::uint64_t n) { return rng_() % n; }

 private:
  Anvil& anvil_;
  std::string contract_;
  std::mt19937_64 rng_;
};

}  // namespace

TEST_CASE("follower on anvil: mints from many wallets under anvil_reorg", "[follower][anvil]") {
  const std::uint64_t confirmations = GENERATE(0, 5);
  CAPTURE(confirmations);
  Anvil anvil;
  const std::string nft = anvil.deploy_claim_nft();
  SystemClock clock;
  auto chain = chain_source(anvil, clock);
  auto dir = testing::fast_temp_dir("claimsync-follower-anvil");
  const node::FollowerOptions options = anvil_follower_options(nft, confirmations);
  auto store =
      must(store::NodeStore::open(dir->path(), {31337, options.contract, options.start_block}));
  node::Follower follower(*chain, *store, clock, options);

  StopFlag stop;
  Status run_result;
  std::thread runner([&] { run_result = follower.run(stop); });
  auto caught_up = [&] {
    const std::uint64_t head = anvil.block_number();
    return head < confirmations + 1 || store->checkpoint() == head - confirmations;
  };

  MintLoad load(anvil, nft, 1234 + confirmations);
  std::size_t reorgs = 0;
  for (int round = 0; round < 24; ++round) {
    load.send(2 + static_cast<int>(load.pick(3)));
    // Half the reorgs hit blocks the follower has already committed (confirmations 0).
    if (round % 2 == 1)
      REQUIRE(
          testing::wait_until(caught_up, std::chrono::seconds(20), std::chrono::milliseconds(5)));
    if (round % 3 != 0) {
      load.reorg(1 + load.pick(3));
      ++reorgs;
    }
    CHECK(stop.stop_requested() == false);
  }
  anvil.mine(confirmations + 1);
  REQUIRE(testing::wait_until(caught_up, std::chrono::seconds(30)));
  stop.request_stop();
  runner.join();
  INFO(run_result.to_string());
  REQUIRE(run_result.ok());

  const std::uint64_t target = *store->checkpoint();
  const auto expected = canonical_mints(anvil, nft, 1, target);
  REQUIRE(expected.size() > 40);
  const std::string diff = testing::diff_claims(testing::live_claims(*store), expected);
  INFO(diff);
  CHECK(diff.empty());
  const auto off_chain = testing::off_chain_claims(*store);
  const auto status = follower.status();
  INFO("reorgs seen " << status.reorgs << " of " << reorgs << ", orphaned " << off_chain.size());
  if (confirmations == 5) {
    CHECK(off_chain.empty());
    CHECK(status.reorgs == 0);
  } else {
    // Every orphan detected: the reorgs after a catch-up replaced committed blocks.
    CHECK(status.reorgs >= reorgs / 3);
    CHECK(status.orphaned == off_chain.size());
    CHECK_FALSE(off_chain.empty());
    for (const auto& c : off_chain) CHECK(c.state == store::ClaimState::kOrphaned);
  }
  CHECK(store::verify_store_invariants(*store).ok());
}

TEST_CASE("claimsync rescan: found / new / known, idempotent, offline", "[follower][anvil][cli]") {
  Anvil anvil;
  const std::string nft = anvil.deploy_claim_nft();
  MintLoad load(anvil, nft, 99);
  load.send(30);
  anvil.mine(3);
  auto dir = testing::fast_temp_dir("claimsync-rescan-cli");
  const std::string config = dir->file("claimsync.toml");
  std::ofstream(config) << "[chain]\nrpc_urls = [\"" << anvil.url() << "\"]\nchain_id = 31337\n"
                        << "contract = \"" << nft << "\"\nstart_block = 1\nconfirmations = 2\n"
                        << "[storage]\ndata_dir = \"" << dir->file("data") << "\"\n"
                        << "[sink]\nurl = \"sqlite:" << dir->file("sink.sqlite") << "\"\n";
  const std::uint64_t target = anvil.block_number() - 2;
  const std::size_t all = canonical_mints(anvil, nft, 1, target).size();

  // The node scanned part of the chain before it was stopped.
  {
    SystemClock clock;
    auto chain = chain_source(anvil, clock);
    node::FollowerOptions options = anvil_follower_options(nft, 2);
    auto store = must(store::NodeStore::open(dir->file("data"), {31337, options.contract, 1}));
    node::Follower follower(*chain, *store, clock, options);
    REQUIRE(follower.step().ok());
    REQUIRE(follower.step().ok());
  }
  auto rescan = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {CLAIMSYNC_BINARY, "rescan", "--config", config, "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return testing::run_command(argv);
  };
  auto first = rescan({"--from", "1", "--to", std::to_string(target)});
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  const json r1 = json::parse(first.output.substr(first.output.find('{')));
  CHECK(r1["found"] == all);
  CHECK(r1["new"].get<std::uint64_t>() + r1["known"].get<std::uint64_t>() == all);
  CHECK(r1["known"].get<std::uint64_t>() > 0);  // what the node had scanned
  CHECK(r1["checkpoint"] == target);

  auto second = rescan({"--from", "1", "--to", std::to_string(target)});
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  const json r2 = json::parse(second.output.substr(second.output.find('{')));
  CHECK(r2["found"] == all);
  CHECK(r2["new"] == 0);
  CHECK(r2["known"] == all);

  // Above the finality target, and a reversed range: usage errors, nothing changed.
  CHECK(rescan({"--from", "1", "--to", std::to_string(target + 2)}).exit_code == 2);
  CHECK(rescan({"--from", "5", "--to", "4"}).exit_code == 2);
}

// Integration: the JSON-RPC chain client (RpcChainSource) against a real anvil running
// ClaimNFT: logs, headers (with safe / finalized), receipts and balanceOfBatch return what
// was minted; endpoint failover and the chain id check work against a live node.
#include <catch2/catch.hpp>

#include <chrono>

#include "rpc/erc1155.hpp"
#include "rpc/rpc_chain_source.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using namespace claimsync::eth;
using claimsync::testing::Anvil;

namespace {

Address addr(const std::string& s) { return Address::parse(s).value(); }
Hash32 hash(const std::string& s) { return Hash32::parse(s).value(); }

JsonRpcClientOptions options_for(const std::string& url) {
  JsonRpcClientOptions o;
  o.urls = {url};
  o.chain_id = 31337;
  o.timeout_ms = 5'000;
  o.max_retries = 2;
  o.backoff_initial_ms = 10;
  o.backoff_max_ms = 100;
  o.rng_seed = 7;
  return o;
}

std::unique_ptr<RpcChainSource> source_for(const JsonRpcClientOptions& o, Clock& clock) {
  auto s = RpcChainSource::create(o, clock);
  REQUIRE(s.ok());
  return std::move(*s);
}

LogFilter mint_filter(const Address& contract, std::uint64_t from, std::uint64_t to) {
  LogFilter f;
  f.address = contract;
  f.topics = {{transfer_single_topic(), transfer_batch_topic()}, {}, {Hash32()}};
  f.from_block = from;
  f.to_block = to;
  return f;
}

// The chain every test case reads: two mints, a transfer, a burn and a reverted call.
struct MintedChain {
  Anvil chain;
  std::string nft = chain.deploy_claim_nft();
  std::string alice = chain.account(1);
  std::string bob = chain.account(2);
  std::string single_tx = chain.mint(nft, alice, 3, 2);
  std::string batch_tx = chain.mint_batch(nft, bob, {1, 2, 5}, {1, 1, 4});
  std::string transfer_tx = chain.transfer(nft, 1, bob, 3, 1);
  std::string burn_tx = chain.burn(nft, 2, 5, 1);
  std::string revert_tx = chain.mint_reverting(nft);
  std::uint64_t head = chain.block_number();
};

}  // namespace

TEST_CASE("anvil harness: no-mining and interval-mining modes, snapshots, reorg with replay") {
  SECTION("no mining: transactions wait for mine()") {
    testing::AnvilOptions o;
    o.no_mining = true;
    o.accounts = 3;
    Anvil chain(o);
    CHECK(chain.accounts().size() == 3);
    const std::string nft = chain.deploy_claim_nft();
    const std::uint64_t head = chain.block_number();
    const std::string tx = chain.mint(nft, chain.account(1), 1, 1);
    CHECK(chain.receipt(tx).is_null());
    chain.mine();
    CHECK(chain.receipt(tx)["status"] == "0x1");
    CHECK(chain.block_number() == head + 1);

    const std::string snap = chain.snapshot();
    chain.mine(3);
    chain.revert(snap);
    CHECK(chain.block_number() == head + 1);
  }

  SECTION("interval mining: wait_receipt") {
    testing::AnvilOptions o;
    o.block_time_s = 1;
    Anvil chain(o);
    const std::string nft = chain.deploy_claim_nft();
    const std::string tx = chain.mint(nft, chain.account(1), 2, 1);
    CHECK(chain.wait_receipt(tx)["status"] == "0x1");
  }

  SECTION("reorg replaying a mint one block later") {
    Anvil chain;
    const std::string nft = chain.deploy_claim_nft();
    chain.mine(2);
    const std::uint64_t head = chain.block_number();
    chain.reorg(2, {{chain.mint_tx(nft, chain.account(1), 4, 1), 1}});
    CHECK(chain.block_number() == head);
    CHECK(chain.balance_of(nft, chain.account(1), 4) == 1);
  }
}

TEST_CASE("chain client reads what anvil minted") {
  MintedChain m;
  SystemClock clock;
  auto source = source_for(options_for(m.chain.url()), clock);

  SECTION("chain id and head") {
    CHECK(source->chain_id().value() == 31337);
    CHECK(source->block_number().value() == m.head);
  }

  SECTION("headers by number, latest, safe, finalized") {
    auto latest = source->header(BlockTag::kLatest);
    REQUIRE(latest.ok());
    CHECK(latest->number == m.head);
    CHECK(latest->hash == hash(m.chain.block_hash(m.head)));
    CHECK(latest->parent_hash == hash(m.chain.block_hash(m.head - 1)));
    CHECK(latest->timestamp > 1'600'000'000);

    auto numbered = source->header(std::uint64_t{2});
    REQUIRE(numbered.ok());
    CHECK(numbered->hash == hash(m.chain.block_hash(2)));

    m.chain.mine(100);
    const std::uint64_t head = m.head + 100;
    CHECK(source->header(BlockTag::kSafe).value().number == head - 32);
    CHECK(source->header(BlockTag::kFinalized).value().number == head - 64);
    CHECK(source->header(BlockTag::kFinalized).value().hash == hash(m.chain.block_hash(head - 64)));

    auto missing = source->header(head + 10);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.status().code() == ErrorCode::kNotFound);
  }

  SECTION("headers in one batch, chained by parent hash") {
    std::vector<std::uint64_t> numbers;
    for (std::uint64_t n = 0; n <= m.head; ++n) numbers.push_back(n);
    auto headers = source->headers(numbers);
    REQUIRE(headers.ok());
    REQUIRE(headers->size() == numbers.size());
    for (std::size_t i = 1; i < headers->size(); ++i) {
      CHECK((*headers)[i].number == numbers[i]);
      CHECK((*headers)[i].parent_hash == (*headers)[i - 1].hash);
    }
    numbers.push_back(m.head + 5);
    CHECK(source->headers(numbers).status().code() == ErrorCode::kNotFound);
    CHECK(source->headers({}).value().empty());
  }

  SECTION("mint logs: single and batch, decoded") {
    auto logs = source->logs(mint_filter(addr(m.nft), 0, m.head));
    REQUIRE(logs.ok());
    REQUIRE(logs->size() == 2);
    CHECK((*logs)[0].tx_hash == hash(m.single_tx));
    CHECK((*logs)[1].tx_hash == hash(m.batch_tx));
    CHECK((*logs)[0].block_number < (*logs)[1].block_number);
    auto single = decode_transfer_log((*logs)[0]);
    REQUIRE(single.ok());
    REQUIRE(single->size() == 1);
    CHECK((*single)[0].is_mint());
    CHECK((*single)[0].to == addr(m.alice));
    CHECK((*single)[0].id == U256(3));
    CHECK((*single)[0].value == U256(2));
    auto batch = decode_transfer_log((*logs)[1]);
    REQUIRE(batch.ok());
    REQUIRE(batch->size() == 3);
    CHECK((*batch)[2].id == U256(5));
    CHECK((*batch)[2].value == U256(4));
    CHECK((*batch)[2].batch_index == 2);
    for (const auto& log : *logs) {
      CHECK(log.block_hash == hash(m.chain.block_hash(log.block_number)));
    }
  }

  SECTION("all transfer logs without the mint topic filter; tiny spans give the same") {
    LogFilter any = mint_filter(addr(m.nft), 0, m.head);
    any.topics = {{transfer_single_topic(), transfer_batch_topic()}};
    auto all = source->logs(any);
    REQUIRE(all.ok());
    CHECK(all->size() == 4);  // mint, batch mint, transfer, burn

    JsonRpcClientOptions o = options_for(m.chain.url());
    o.logs_initial_span = 1;
    o.logs_max_span = 3;
    auto small = source_for(o, clock);
    auto split = small->logs(any);
    REQUIRE(split.ok());
    REQUIRE(split->size() == all->size());
    for (std::size_t i = 0; i < split->size(); ++i) CHECK((*split)[i].tx_hash == (*all)[i].tx_hash);
    CHECK(small->current_logs_span() == 3);  // grew to the maximum
  }

  SECTION("receipts: success, reverted, unknown") {
    auto ok = source->receipt(hash(m.batch_tx));
    REQUIRE(ok.ok());
    REQUIRE(ok->has_value());
    CHECK((*ok)->success);
    CHECK((*ok)->tx_hash == hash(m.batch_tx));
    REQUIRE((*ok)->logs.size() == 1);
    CHECK((*ok)->logs[0].topics[0] == transfer_batch_topic());
    CHECK((*ok)->block_hash == hash(m.chain.block_hash((*ok)->block_number)));

    auto reverted = source->receipt(hash(m.revert_tx));
    REQUIRE(reverted.ok());
    REQUIRE(reverted->has_value());
    CHECK_FALSE((*reverted)->success);
    CHECK((*reverted)->logs.empty());

    auto unknown = source->receipt(hash("0x" + std::string(64, 'a')));
    REQUIRE(unknown.ok());
    CHECK_FALSE(unknown->has_value());
  }

  SECTION("balanceOfBatch, in one call and split into several calls of one batch") {
    std::vector<Address> owners = {addr(m.alice), addr(m.bob), addr(m.bob),
                                   addr(m.bob),   addr(m.bob), addr(m.chain.account(3))};
    std::vector<U256> ids = {3, 1, 2, 5, 3, 3};
    const std::vector<U256> expected = {1, 1, 1, 3, 1, 0};
    auto balances = source->balance_of_batch(addr(m.nft), owners, ids, BlockTag::kLatest);
    REQUIRE(balances.ok());
    CHECK(*balances == expected);

    JsonRpcClientOptions o = options_for(m.chain.url());
    o.balance_pairs_per_call = 2;
    auto chunked = source_for(o, clock)->balance_of_batch(addr(m.nft), owners, ids, m.head);
    REQUIRE(chunked.ok());
    CHECK(*chunked == expected);

    auto before = source->balance_of_batch(addr(m.nft), owners, ids, std::uint64_t{1});
    REQUIRE(before.ok());
    CHECK(*before == std::vector<U256>(6, U256(0)));  // block 1: just deployed

    CHECK(source->balance_of_batch(addr(m.nft), owners, {1}, BlockTag::kLatest).status().code() ==
          ErrorCode::kInvalidArgument);
    CHECK(source->balance_of_batch(addr(m.alice), owners, ids, BlockTag::kLatest).status().code() ==
          ErrorCode::kFailedPrecondition);  // no contract there
  }
}

TEST_CASE("chain client refuses an endpoint of another chain and fails over") {
  Anvil chain;
  SystemClock clock;

  SECTION("wrong chain id: refused, never used") {
    JsonRpcClientOptions o = options_for(chain.url());
    o.chain_id = 42161;
    auto source = source_for(o, clock);
    auto id = source->chain_id();
    REQUIRE_FALSE(id.ok());
    CHECK(id.status().code() == ErrorCode::kFailedPrecondition);
    CHECK(source->header(BlockTag::kLatest).status().code() == ErrorCode::kFailedPrecondition);
    CHECK(source->endpoint_health()[0].state == EndpointHealth::State::kRefused);
  }

  SECTION("dead first endpoint: the second serves, the first is marked") {
    const std::string dead = "http://127.0.0.1:" + std::to_string(testing::free_loopback_port());
    JsonRpcClientOptions o = options_for(dead);
    o.urls.push_back(chain.url());
    auto source = source_for(o, clock);
    for (int i = 0; i < 5; ++i) CHECK(source->block_number().ok());
    auto health = source->endpoint_health();
    CHECK(health[0].failures >= 1);
    CHECK(health[1].successes >= 5);
    CHECK(health[1].state == EndpointHealth::State::kVerified);
  }

  SECTION("a refused endpoint next to a good one") {
    testing::AnvilOptions other_chain;
    other_chain.chain_id = 5;
    Anvil other(other_chain);
    JsonRpcClientOptions o = options_for(other.url());
    o.urls.push_back(chain.url());
    auto source = source_for(o, clock);
    CHECK(source->verify_endpoints().ok());
    CHECK(source->chain_id().value() == 31337);
    CHECK(source->endpoint_health()[0].state == EndpointHealth::State::kRefused);
  }
}

TEST_CASE("chain client: a 500-header batch and a 500-block logs sweep in one request") {
  Anvil chain;
  std::string nft = chain.deploy_claim_nft();
  for (int i = 0; i < 20; ++i) chain.mint(nft, chain.account(1 + i % 5), 1 + i % 19, 1);
  chain.mine(480);  // anvil mines ~6 ms per block
  SystemClock clock;
  JsonRpcClientOptions o = options_for(chain.url());
  o.logs_initial_span = 2000;
  o.logs_max_span = 2000;
  auto source = source_for(o, clock);

  std::vector<std::uint64_t> numbers;
  for (std::uint64_t n = 1; n <= 500; ++n) numbers.push_back(n);
  auto t0 = std::chrono::steady_clock::now();
  auto headers = source->headers(numbers);
  auto t1 = std::chrono::steady_clock::now();
  REQUIRE(headers.ok());
  CHECK(headers->size() == 500);
  auto logs = source->logs(mint_filter(addr(nft), 0, 501));
  auto t2 = std::chrono::steady_clock::now();
  REQUIRE(logs.ok());
  CHECK(logs->size() == 20);
  using ms = std::chrono::milliseconds;
  WARN("500 headers in " << std::chrono::duration_cast<ms>(t1 - t0).count()
                         << " ms (5 batches of 100); "
                         << "logs over 502 blocks in "
                         << std::chrono::duration_cast<ms>(t2 - t1).count() << " ms");
}

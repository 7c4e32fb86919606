// A lagging endpoint behind failover (issue 10): the follower on a real anvil with two
// endpoints, [a fault proxy in front of anvil, a LaggingRpcProxy in front of the same
// anvil]. The first endpoint goes down, so every call fails over to the second, which
// serves the chain `lag` blocks behind: more than `confirmations` (blocks the node has
// already stored do not exist there) and more than `reorg_window`. That is lag, not a
// reorg: nothing may be rolled back, the follower must not stop, and once an up-to-date
// endpoint is back everything is as a follower on the direct anvil records it.
#include <catch2/catch.hpp>

#include <chrono>

#include "node/follower.hpp"
#include "rpc/erc1155.hpp"
#include "rpc/rpc_chain_source.hpp"
#include "storage/node_store.hpp"
#include "storage/node_store_check.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/fault_server.hpp"
#include "tests/support/follower_harness.hpp"
#include "tests/support/lagging_rpc_proxy.hpp"
#include "tests/support/outbox_view.hpp"

using namespace claimsync;
using testing::Anvil;

namespace {

template <typename T>
T must(Result<T> r) {
  if (!r.ok()) throw std::runtime_error(r.status().to_string());
  return std::move(r.value());
}

std::unique_ptr<eth::RpcChainSource> chain_source(std::vector<std::string> urls, Clock& clock) {
  eth::JsonRpcClientOptions o;
  o.urls = std::move(urls);
  o.chain_id = 31337;
  o.timeout_ms = 5'000;
  o.max_retries = 3;
  o.backoff_initial_ms = 20;
  o.backoff_max_ms = 200;
  return must(eth::RpcChainSource::create(o, clock));
}

node::FollowerOptions follower_options(const std::string& contract) {
  node::FollowerOptions o;
  o.chain_id = 31337;
  o.contract = must(eth::Address::parse(contract));
  o.start_block = 1;
  o.confirmations = 2;
  o.reorg_window = 8;
  o.range_blocks = 5;
  o.poll_interval_ms = 20;
  o.levels = testing::default_levels();
  o.error_backoff_initial_ms = 20;
  o.error_backoff_max_ms = 200;
  return o;
}

// A follower with its own store.
struct Node {
  Node(eth::ChainSource& chain, const node::FollowerOptions& options, Clock& clock)
      : dir(testing::fast_temp_dir("claimsync-lagging")),
        store(must(store::NodeStore::open(dir->path(), {31337, options.contract, 1}))),
        follower(chain, *store, clock, options) {}
  // Steps until the checkpoint is `target`; every step must succeed.
  void catch_up(std::uint64_t target) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (store->checkpoint() != target) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      auto step = follower.step();
      INFO(step.status().to_string());
      REQUIRE(step.ok());
    }
  }
  std::unique_ptr<testing::TempDir> dir;
  std::unique_ptr<store::NodeStore> store;
  node::Follower follower;
};

}  // namespace

TEST_CASE("failover to a lagging endpoint never rolls back, and the follower goes on",
          "[follower][anvil][lag]") {
  // Both below the stored tip even after the 3 blocks mined during the outage (more than
  // confirmations 2 + 3); 7 is within rpc.max_lag_blocks (only the follower can tell),
  // 20 is beyond it (the pool sees it too) and beyond reorg_window 8.
  const std::uint64_t lag = GENERATE(7, 20);
  CAPTURE(lag);
  Anvil anvil;
  const std::string nft = anvil.deploy_claim_nft();
  for (std::uint64_t i = 0; i < 20; ++i) anvil.mint(nft, anvil.account(1 + i % 5), 1 + i % 19, 1);
  anvil.mine(2);  // every mint final (confirmations 2)
  testing::FaultServer primary(anvil.url());
  testing::LaggingRpcProxy lagging({anvil.url()});
  SystemClock clock;
  auto chain = chain_source({primary.url(), lagging.url()}, clock);
  const node::FollowerOptions options = follower_options(nft);
  Node node(*chain, options, clock);
  node.catch_up(anvil.block_number() - 2);
  const std::size_t live_before = testing::live_claims(*node.store).size();
  REQUIRE(live_before == 20);

  // The primary goes down; the other endpoint is `lag` blocks behind.
  lagging.set_lag(lag);
  testing::Fault down;
  down.kind = testing::Fault::Kind::kHttpStatus;
  down.status = 503;
  down.times = -1;
  primary.add(down);
  for (std::uint64_t i = 0; i < 3; ++i) anvil.mint(nft, anvil.account(6), 3, 1);
  const std::size_t requests_before = lagging.requests();
  for (int i = 0; i < 40; ++i) {
    auto step = node.follower.step();
    INFO(step.status().to_string());
    if (!step.ok()) REQUIRE_FALSE(node::Follower::is_fatal(step.status()));
    // The membership the node stands for never shrinks while the endpoint lags.
    REQUIRE(testing::live_claims(*node.store).size() >= live_before);
    REQUIRE(testing::off_chain_claims(*node.store).empty());
  }
  CHECK(lagging.requests() > requests_before);  // the failover happened
  CHECK(node.follower.status().reorgs == 0);

  // The primary is back: the follower catches up and records exactly what a follower on
  // the direct anvil records.
  primary.clear();
  anvil.mine(3);
  node.catch_up(anvil.block_number() - 2);
  lagging.set_lag(0);
  auto direct_chain = chain_source({anvil.url()}, clock);
  Node reference(*direct_chain, options, clock);
  reference.catch_up(anvil.block_number() - 2);
  node.catch_up(anvil.block_number() - 2);
  const std::string diff = testing::diff_claims(testing::live_claims(*node.store),
                                                testing::live_claims(*reference.store));
  INFO(diff);
  CHECK(diff.empty());
  CHECK(testing::live_claims(*node.store).size() == 23);
  CHECK(testing::off_chain_claims(*node.store).empty());
  CHECK(node.follower.status().reorgs == 0);
  CHECK(store::verify_store_invariants(*node.store).ok());
}

TEST_CASE("LaggingRpcProxy: the chain `lag` blocks behind, and flips between upstreams",
          "[anvil][lag][tool]") {
  Anvil a;
  Anvil b;
  const std::string nft = a.deploy_claim_nft();
  std::vector<std::string> txs;
  for (int i = 0; i < 4; ++i) txs.push_back(a.mint(nft, a.account(1), 1 + i, 1));
  b.mine(2);
  testing::LaggingRpcProxy proxy({a.url(), b.url()});
  SystemClock clock;
  auto chain = chain_source({proxy.url()}, clock);
  const std::uint64_t head = a.block_number();
  REQUIRE(must(chain->block_number()) == head);
  proxy.set_lag(2);
  CHECK(proxy.lag() == 2);
  CHECK(must(chain->block_number()) == head - 2);
  CHECK(must(chain->header(eth::BlockTag::kLatest)).number == head - 2);
  CHECK(chain->header(head).status().code() == ErrorCode::kNotFound);
  CHECK(must(chain->header(head - 2)).hash ==
        must(eth::Hash32::parse(a.block(head - 2)["hash"].get<std::string>())));
  eth::LogFilter all;
  all.address = must(eth::Address::parse(nft));
  all.topics = {{eth::transfer_single_topic(), eth::transfer_batch_topic()}};
  all.from_block = 0;
  all.to_block = head;
  CHECK(must(chain->logs(all)).size() == 2);  // the last 2 mints are above the lagged head
  CHECK_FALSE(must(chain->receipt(must(eth::Hash32::parse(txs.back())))).has_value());
  CHECK(must(chain->receipt(must(eth::Hash32::parse(txs.front())))).has_value());
  // The other upstream: another chain (fork) at its own height.
  proxy.set_lag(0);
  proxy.set_upstream(1);
  CHECK(must(chain->block_number()) == b.block_number());
  CHECK(must(chain->header(std::uint64_t{1})).hash ==
        must(eth::Hash32::parse(b.block(1)["hash"].get<std::string>())));
  CHECK(proxy.requests() > 5);
}

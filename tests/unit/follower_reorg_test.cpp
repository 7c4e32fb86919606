// The follower against a scripted chain: backfill, live following, reorgs of depth 1..64
// at every offset of a range and at every point of a scan, restarts in the middle of a
// recovery, reorgs deeper than the window, undecodable logs and transient failures.
// After each scenario the live claims must equal the canonical chain's mints exactly.
#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "node/follower.hpp"
#include "node/rescan.hpp"
#include "tests/support/fake_chain.hpp"
#include "tests/support/follower_harness.hpp"
#include "tests/support/outbox_view.hpp"

using namespace claimsync;
using claimsync::node::FollowerStepKind;
using claimsync::testing::fake_follower_options;
using claimsync::testing::fake_wallet;
using claimsync::testing::FakeChain;
using claimsync::testing::FakeTransfer;
using claimsync::testing::FollowerHarness;

namespace {

// Random block contents: mints (single, batch, amounts > 1, ids outside the levels, zero
// amounts), transfers between wallets and mints of another contract. Every transaction
// has its own tx id, so a re-included one keeps its hash.
class BlockGen {
 public:
  explicit BlockGen(std::uint64_t seed) : rng_(seed) {}

  std::vector<FakeTransfer> txs() {
    std::vector<FakeTransfer> out;
    const int n = pick(3);
    for (int i = 0; i < n; ++i) out.push_back(tx());
    return out;
  }

  void mine(FakeChain& chain, std::uint64_t blocks) {
    for (std::uint64_t i = 0; i < blocks; ++i) chain.mine(txs());
  }

  // Replacement blocks for the top `depth` blocks: `count` blocks of fresh transactions,
  // with about half of the dropped ones re-included at other positions.
  std::vector<std::vector<FakeTransfer>> replacement(const FakeChain& chain, std::uint64_t depth,
                                                     std::uint64_t count) {
    std::vector<std::vector<FakeTransfer>> blocks(count);
    for (auto& b : blocks) b = txs();
    if (count == 0) return blocks;
    for (std::uint64_t n = chain.head() - depth + 1; n <= chain.head(); ++n) {
      for (const FakeTransfer& t : chain.block(n).txs) {
        if (pick(2) == 0) blocks[pick(static_cast<int>(count))].push_back(t);
      }
    }
    return blocks;
  }

  int pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }

 private:
  FakeTransfer tx() {
    const eth::Address to = fake_wallet(1 + pick(12));
    const std::uint64_t id = static_cast<std::uint64_t>(pick(22));  // 0 and 20, 21: not levels
    FakeTransfer t;
    switch (pick(10)) {
      case 0:
      case 1:
      case 2:
      case 3: t = FakeTransfer::mint(to, id, 1); break;
      case 4: t = FakeTransfer::mint(to, id, 2 + pick(5)); break;
      case 5:
      case 6:
        t = FakeTransfer::mint_batch(to, {{id, 1}, {(id + 1) % 22, 3}, {(id + 7) % 22, pick(2)}});
        break;
      case 7: t = FakeTransfer::transfer(fake_wallet(99), to, id); break;
      case 8:
        t = FakeTransfer::mint(to, id, 1);
        t.contract = fake_wallet(0xBAD);
        break;
      default: t = FakeTransfer::mint_batch(to, {{id, 1}}); break;
    }
    t.tx_id = next_tx_id_++;
    return t;
  }

  std::mt19937_64 rng_;
  std::uint64_t next_tx_id_ = 1;
};

void require_settled(FollowerHarness& h) {
  auto steps = h.settle();
  INFO(steps.status().to_string());
  REQUIRE(steps.ok());
  REQUIRE(h.store().checkpoint() == h.chain().head() - h.options().confirmations);
  const std::string diff = h.check_outbox();
  INFO(diff);
  REQUIRE(diff.empty());
}

// Reorgs the chain so that the follower loses its top `depth` scanned blocks, either now
// (timing 0) or just before the timing-th chain call of the next steps (1: the target,
// 2: the headers before the logs, 3: the logs, 4: the headers after the logs).
void reorg_scanned(FollowerHarness& h, BlockGen& gen, std::uint64_t depth, int timing) {
  FakeChain& chain = h.chain();
  const std::uint64_t checkpoint = *h.store().checkpoint();
  const std::uint64_t chain_depth = chain.head() - (checkpoint - depth);
  const auto replacement = gen.replacement(chain, chain_depth, chain_depth + gen.pick(3));
  if (timing == 0) {
    chain.reorg(chain_depth, replacement);
    return;
  }
  auto calls = std::make_shared<std::atomic<int>>(0);  // long ranges call from two threads
  chain.set_hook([&chain, calls, timing, chain_depth, replacement](FakeChain::Op) {
    if (++*calls != timing) return;
    chain.set_hook(nullptr);
    chain.reorg(chain_depth, replacement);
  });
}

}  // namespace

TEST_CASE("backfill of a chain without reorgs records exactly its mints", "[follower]") {
  FakeChain chain;
  BlockGen gen(1);
  gen.mine(chain, 200);
  FollowerHarness h(fake_follower_options(chain, 5), &chain);
  require_settled(h);
  CHECK(h.follower().status().claims_new == chain.expected_claims(h.options().levels, 5).size());
  // Idempotent: a restart with nothing new changes nothing.
  h.restart();
  require_settled(h);
}

// One store per (mode, depth): opening a RocksDB dir costs ~100 ms, so the five timings
// run one after the other on the same node, each from a settled state.
TEST_CASE("reorgs of depth 1..64 at every offset, during backfill and live", "[follower][reorg]") {
  const bool live = GENERATE(false, true);
  for (std::uint64_t depth = 1; depth <= 64; ++depth) {
    const std::uint64_t seed = depth + (live ? 1000 : 0);
    const std::uint64_t start = 1 + seed % 8;  // shifts the range grid against the fork
    FakeChain chain;
    BlockGen gen(seed);
    gen.mine(chain, start + 70);
    FollowerHarness h(fake_follower_options(chain, start), &chain);
    require_settled(h);
    for (int timing = 0; timing <= 4; ++timing) {
      CAPTURE(live, depth, timing, start);
      if (live) {
        gen.mine(chain, static_cast<std::uint64_t>(gen.pick(3)));  // maybe new blocks first
      } else {  // a backlog of 100 blocks, 70 of them scanned when the reorg comes
        const std::uint64_t checkpoint = *h.store().checkpoint();
        gen.mine(chain, 100);
        REQUIRE(h.step_until_checkpoint(checkpoint + 70).ok());
      }
      const std::uint64_t reorgs = h.follower().status().reorgs;
      reorg_scanned(h, gen, depth, timing);
      require_settled(h);
      // A reorg before the steps must be seen; one inside a scan may be absorbed by a
      // raced scan, or seen later as a stale stored block.
      if (timing == 0) CHECK(h.follower().status().reorgs == reorgs + 1);
    }
  }
}

TEST_CASE("a reorg inside the range being scanned makes the scan start over", "[follower][reorg]") {
  // Empty blocks are replaced by blocks full of mints between the logs call and the
  // headers after it: nothing in the old logs betrays the change, only header(to) does.
  FakeChain chain;
  chain.mine_empty(20);
  FollowerHarness h(fake_follower_options(chain, 1), &chain);
  REQUIRE(h.follower().step()->kind == FollowerStepKind::kCommitted);  // blocks 1..8
  std::vector<std::vector<FakeTransfer>> minty;
  for (std::uint64_t i = 0; i < 10; ++i)
    minty.push_back({FakeTransfer::mint(fake_wallet(i + 1), 1 + i)});
  int calls = 0;
  chain.set_hook([&](FakeChain::Op) {
    if (++calls == 4) chain.reorg(8, minty);  // blocks 13..20 -> 13..22, before headers(post)
  });
  auto step = h.follower().step();
  chain.set_hook(nullptr);
  REQUIRE(step.ok());
  CHECK(step->kind == FollowerStepKind::kRaced);
  CHECK(h.store().checkpoint() == 8u);
  require_settled(h);
  CHECK(testing::live_claims(h.store()).size() == 10);
}

TEST_CASE("long ranges fetched in parts: reorgs between and during the parts",
          "[follower][reorg]") {
  for (std::uint64_t depth : {1, 3, 10, 40}) {
    FakeChain chain;
    BlockGen gen(depth + 77);
    gen.mine(chain, 300);
    auto options = fake_follower_options(chain, 1);
    options.range_blocks = 120;
    options.pipeline_min_blocks = 16;  // 4 parts per range
    FollowerHarness h(options, &chain);
    require_settled(h);
    for (int timing = 0; timing <= 9; ++timing) {
      CAPTURE(depth, timing);
      gen.mine(chain, 150);
      if (timing % 2 == 1)
        REQUIRE(h.step_until_checkpoint(h.store().checkpoint().value() + 100).ok());
      reorg_scanned(h, gen, depth, timing);
      require_settled(h);
    }
  }
}

TEST_CASE("a reorg that replaces start_block rolls back everything scanned", "[follower][reorg]") {
  FakeChain chain;
  BlockGen gen(7);
  gen.mine(chain, 30);
  FollowerHarness h(fake_follower_options(chain, 10), &chain);
  require_settled(h);
  chain.reorg(chain.head() - 9, gen.replacement(chain, chain.head() - 9, chain.head() - 7));
  require_settled(h);
  CHECK(h.follower().status().reorgs == 1);
}

TEST_CASE("restart at every step of a reorg recovery", "[follower][reorg][restart]") {
  const std::uint64_t depth = GENERATE(1, 2, 5, 8, 9, 17, 33, 64);
  FakeChain chain;
  BlockGen gen(depth * 100);
  gen.mine(chain, 90);
  FollowerHarness h(fake_follower_options(chain, 3), &chain);
  require_settled(h);
  for (std::size_t crash_after = 0; crash_after < 12; ++crash_after) {
    CAPTURE(depth, crash_after);
    gen.mine(chain, static_cast<std::uint64_t>(gen.pick(3)));
    reorg_scanned(h, gen, depth, 0);
    for (std::size_t i = 0; i < crash_after; ++i) REQUIRE(h.follower().step().ok());
    h.restart();
    // Now and then a second reorg while the node is down, in the middle of the recovery.
    if (crash_after % 3 == 1) reorg_scanned(h, gen, 1 + crash_after % 5, 0);
    require_settled(h);
  }
}

TEST_CASE("a crash between detecting a reorg and rolling back", "[follower][reorg][restart]") {
  FakeChain chain;
  BlockGen gen(42);
  gen.mine(chain, 60);
  FollowerHarness h(fake_follower_options(chain, 1), &chain);
  require_settled(h);
  reorg_scanned(h, gen, 12, 0);
  // The fork search's first call is header(latest) after the failed continuity check:
  // fail the headers batch that follows it, as a crash would stop the search.
  int latest_calls = 0;
  chain.set_hook([&](FakeChain::Op op) {
    if (op == FakeChain::Op::kHeader && ++latest_calls == 2) {
      chain.fail_next(FakeChain::Op::kHeaders, 1, ErrorCode::kUnavailable);
    }
  });
  auto failed = h.follower().step();
  chain.set_hook(nullptr);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == ErrorCode::kUnavailable);
  CHECK(testing::off_chain_claims(h.store()).empty());  // nothing rolled back yet
  h.restart();
  require_settled(h);
  CHECK(h.follower().status().reorgs == 1);
}

TEST_CASE("random reorgs, restarts and confirmations (soak)", "[follower][reorg]") {
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    CAPTURE(seed);
    FakeChain chain;
    BlockGen gen(seed);
    gen.mine(chain, 20);
    auto options = fake_follower_options(chain, 1 + seed % 5);
    options.range_blocks = 1 + seed % 13;
    options.confirmations = seed % 3 == 0 ? 3 : 0;
    options.reorg_window = 64;
    FollowerHarness h(options, &chain);
    for (int op = 0; op < 40; ++op) {
      switch (chain.head() < 3 ? 0 : gen.pick(8)) {
        case 0:
        case 1: gen.mine(chain, 1 + gen.pick(10)); break;
        case 2: {
          const std::uint64_t depth =
              1 + gen.pick(std::min<int>(20, static_cast<int>(chain.head()) - 1));
          chain.reorg(depth,
                      gen.replacement(chain, depth, depth + gen.pick(3) - (depth > 1 ? 1 : 0)));
          break;
        }
        case 3: h.restart(); break;
        default:
          for (int i = gen.pick(5); i > 0; --i) {
            auto s = h.follower().step();
            INFO(s.status().to_string());
            REQUIRE(s.ok());
          }
      }
    }
    require_settled(h);
  }
}

TEST_CASE("with confirmations no shallow reorg ever orphans a claim", "[follower][finality]") {
  FakeChain chain;
  BlockGen gen(5);
  gen.mine(chain, 50);
  auto options = fake_follower_options(chain, 1);
  options.confirmations = 5;
  FollowerHarness h(options, &chain);
  for (int round = 0; round < 40; ++round) {
    require_settled(h);
    const std::uint64_t depth = 1 + gen.pick(5);  // <= confirmations
    chain.reorg(depth, gen.replacement(chain, depth, depth + gen.pick(2)));
    gen.mine(chain, 1 + gen.pick(3));
  }
  require_settled(h);
  CHECK(h.follower().status().reorgs == 0);
  CHECK(testing::off_chain_claims(h.store()).empty());
}

TEST_CASE("a reorg deeper than the window stops the line, rescan --rollback recovers",
          "[follower][reorg]") {
  FakeChain chain;
  BlockGen gen(9);
  gen.mine(chain, 120);
  auto options = fake_follower_options(chain, 1);
  options.range_blocks = 4;
  options.reorg_window = 16;
  FollowerHarness h(options, &chain);
  require_settled(h);
  const std::uint64_t checkpoint = *h.store().checkpoint();
  const auto live_before = testing::live_claims(h.store());
  chain.reorg(40, gen.replacement(chain, 40, 41));

  auto step = h.follower().step();
  REQUIRE_FALSE(step.ok());
  CHECK(step.status().code() == ErrorCode::kReorg);
  CHECK(step.status().message().find("rescan") != std::string::npos);
  CHECK(node::Follower::is_fatal(step.status()));
  // Nothing was rolled back or committed.
  CHECK(h.store().checkpoint() == checkpoint);
  CHECK(testing::live_claims(h.store()).size() == live_before.size());
  // run() stops with the same error instead of retrying.
  StopFlag stop;
  CHECK(h.follower().run(stop).code() == ErrorCode::kReorg);
  CHECK(h.follower().status().stopped_on_error);

  // The operator's next step: rescan with rollback from below the fork, then restart.
  node::RescanOptions rescan;
  rescan.from = chain.head() - 60;
  rescan.to = chain.head();
  rescan.rollback = true;
  auto report = node::rescan_range(h.chain(), h.store(), h.clock(), options, rescan);
  INFO(report.status().to_string());
  REQUIRE(report.ok());
  CHECK(report->rollback.orphaned > 0);
  h.restart();
  require_settled(h);
}

TEST_CASE("an undecodable log from the contract stops the line", "[follower]") {
  FakeChain chain;
  BlockGen gen(11);
  gen.mine(chain, 10);
  FakeTransfer bad = FakeTransfer::mint(fake_wallet(1), 3);
  bad.malformed = true;
  chain.mine({FakeTransfer::mint(fake_wallet(2), 4), bad});
  gen.mine(chain, 10);
  FollowerHarness h(fake_follower_options(chain, 1), &chain);
  Result<node::FollowerStep> s = h.follower().step();
  while (s.ok() && s->kind == FollowerStepKind::kCommitted) s = h.follower().step();
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == ErrorCode::kCorruption);
  CHECK(node::Follower::is_fatal(s.status()));
  CHECK(*h.store().checkpoint() < 11);  // the range holding block 11 is not committed
}

TEST_CASE("transient chain failures are retried with backoff, never skipped", "[follower]") {
  FakeChain chain;
  BlockGen gen(12);
  gen.mine(chain, 40);
  FollowerHarness h(fake_follower_options(chain, 1), &chain);
  chain.fail_next(FakeChain::Op::kLogs, 3, ErrorCode::kTimeout);
  StopFlag stop;
  chain.set_hook([&](FakeChain::Op op) {
    if (op == FakeChain::Op::kHeader && h.store().checkpoint() == chain.head()) stop.request_stop();
  });
  const std::int64_t before = h.clock().now_ms();
  REQUIRE(h.follower().run(stop).ok());
  chain.set_hook(nullptr);
  // Three failures backed off 500 + 1000 + 2000 ms (ManualClock: sleeping advances it).
  CHECK(h.clock().now_ms() - before >= 3500);
  CHECK(h.follower().status().consecutive_failures == 0);
  const std::string diff = h.check_outbox();
  INFO(diff);
  CHECK(diff.empty());
}

TEST_CASE("a follower pointed at another chain refuses to start", "[follower]") {
  FakeChain chain(5);
  auto options = fake_follower_options(chain, 1);
  options.chain_id = 42161;
  FollowerHarness h(options, &chain);
  auto s = h.follower().step();
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == ErrorCode::kFailedPrecondition);
}

TEST_CASE("idle polls sleep the poll interval: no busy loop", "[follower]") {
  FakeChain chain;
  chain.mine_empty(5);
  FollowerHarness h(fake_follower_options(chain, 1), &chain);
  StopFlag stop;
  int polls = 0;
  chain.set_hook([&](FakeChain::Op op) {
    if (op == FakeChain::Op::kHeader && ++polls == 20) stop.request_stop();
  });
  const std::int64_t before = h.clock().now_ms();
  REQUIRE(h.follower().run(stop).ok());
  chain.set_hook(nullptr);
  // Each idle step (header(latest) + the tip check) slept one poll interval.
  CHECK(h.clock().now_ms() - before >= 8 * h.options().poll_interval_ms);
}

TEST_CASE("a hint (StopFlag::notify) wakes the follower before the poll ends", "[follower]") {
  FakeChain chain;
  chain.mine_empty(5);
  auto options = fake_follower_options(chain, 1);
  options.poll_interval_ms = 60'000;  // only a hint can make it look again within the test
  FollowerHarness h(options, &chain);
  require_settled(h);
  SystemClock clock;
  node::Follower follower(chain, h.store(), clock, options);
  StopFlag stop;
  const std::uint64_t base = chain.calls(FakeChain::Op::kHeader);
  std::thread runner([&] { (void)follower.run(stop); });
  REQUIRE(testing::wait_until([&] { return chain.calls(FakeChain::Op::kHeader) >= base + 2; },
                              std::chrono::seconds(5)));
  chain.mine_empty(3);
  // A hint that lands while a step runs is not a wake-up for the next sleep: repeat it.
  const bool caught_up = testing::wait_until(
      [&] {
        stop.notify();
        return h.store().checkpoint() == chain.head();
      },
      std::chrono::seconds(5), std::chrono::milliseconds(20));
  stop.request_stop();
  runner.join();
  CHECK(caught_up);
}

TEST_CASE("rescan reports found, new and already known claims", "[follower][rescan]") {
  FakeChain chain;
  BlockGen gen(21);
  gen.mine(chain, 60);
  FollowerHarness h(fake_follower_options(chain, 1), &chain);
  REQUIRE(h.step_until_checkpoint(30).ok());
  const std::uint64_t cp = *h.store().checkpoint();
  node::RescanOptions r;
  r.from = 1;
  r.to = 60;
  auto report = node::rescan_range(chain, h.store(), h.clock(), h.options(), r);
  INFO(report.status().to_string());
  REQUIRE(report.ok());
  const auto before = chain.expected_claims(h.options().levels, 1, cp).size();
  const auto all = chain.expected_claims(h.options().levels, 1, 60).size();
  CHECK(report->found == all);
  CHECK(report->known == before);
  CHECK(report->created == all - before);
  // Again: everything is known now, and the claims carry the rescan source.
  auto again = node::rescan_range(chain, h.store(), h.clock(), h.options(), r);
  REQUIRE(again.ok());
  CHECK(again->created == 0);
  CHECK(again->known == all);
  for (const auto& c : testing::live_claims(h.store()))
    CHECK((c.sources & store::kSourceRescan) != 0);
  require_settled(h);

  SECTION("bad ranges are refused") {
    r.from = 70;
    r.to = 60;
    CHECK(node::rescan_range(chain, h.store(), h.clock(), h.options(), r).status().code() ==
          ErrorCode::kInvalidArgument);
    r.from = 50;
    r.to = chain.head() + 1;  // above the finality target
    CHECK(node::rescan_range(chain, h.store(), h.clock(), h.options(), r).status().code() ==
          ErrorCode::kInvalidArgument);
  }
}

// ---- lagging endpoints (issue 10) ------------------------------------------------------
// A node that fell behind answers "not found" for blocks the follower already stored, and
// a lower head. That is lag, not a fork: only a hash mismatch at a block the endpoint does
// serve is evidence of a reorg.

namespace {

// Every claim the store holds as off-chain must really be off the canonical chain.
std::string wrongly_off_chain(FollowerHarness& h) {
  std::set<std::string> canonical;
  for (const auto& c : h.chain().expected_claims(h.options().levels))
    canonical.insert(c.key.tx_hash.hex() + ":" + std::to_string(c.key.log_index));
  std::string out;
  for (const auto& c : testing::off_chain_claims(h.store())) {
    if (canonical.count(c.key.tx_hash.hex() + ":" + std::to_string(c.key.log_index)))
      out += "canonical claim of block " + std::to_string(c.block_number) + " is off-chain\n";
  }
  return out;
}

}  // namespace

TEST_CASE("an endpoint behind the stored tip is waited for, never rolled back", "[follower][lag]") {
  const std::uint64_t lag = GENERATE(3, 40);  // more than confirmations (and the window)
  CAPTURE(lag);
  FakeChain chain;
  BlockGen gen(31);
  gen.mine(chain, 120);
  auto options = fake_follower_options(chain, 1);
  options.range_blocks = 4;
  options.reorg_window = 16;
  FollowerHarness h(options, &chain);
  require_settled(h);
  const auto live_before = testing::live_claims(h.store()).size();
  chain.set_lag(lag);
  for (int i = 0; i < 5; ++i) {
    auto step = h.follower().step();
    INFO(step.status().to_string());
    REQUIRE(step.ok());  // never the fatal "reorg deeper than the window"
    CHECK(step->kind != FollowerStepKind::kRolledBack);
  }
  CHECK(h.follower().status().reorgs == 0);
  CHECK(testing::off_chain_claims(h.store()).empty());
  CHECK(testing::live_claims(h.store()).size() == live_before);
  // `status` can say why the node is not advancing.
  CHECK(h.follower().status().behind_now);
  CHECK(h.follower().status().behind == 5);
  CHECK(h.follower().status().last_error.find("behind") != std::string::npos);
  // Caught up: everything is as before, and the follower goes on.
  chain.set_lag(0);
  gen.mine(chain, 10);
  require_settled(h);
  CHECK(h.follower().status().reorgs == 0);
  CHECK_FALSE(h.follower().status().behind_now);
  CHECK(h.follower().status().last_error.empty());
}

TEST_CASE("a failover to a lagging endpoint during the fork search rolls back no further",
          "[follower][lag][reorg]") {
  FakeChain chain;
  BlockGen gen(32);
  gen.mine(chain, 100);
  auto options = fake_follower_options(chain, 1);
  options.range_blocks = 4;
  FollowerHarness h(options, &chain);
  require_settled(h);
  // A real reorg of the top 2 blocks, seen by the tip check (the step's second header
  // call); then the fork search's endpoint (its header(latest), the third) is 30 behind.
  chain.reorg(2, gen.replacement(chain, 2, 2));
  int header_calls = 0;
  chain.set_hook([&](FakeChain::Op op) {
    if (op == FakeChain::Op::kHeader && ++header_calls == 3) chain.set_lag(30);
  });
  for (int i = 0; i < 3; ++i) {
    auto step = h.follower().step();
    INFO(step.status().to_string());
    CHECK((step.ok() || !node::Follower::is_fatal(step.status())));
    const std::string wrong = wrongly_off_chain(h);
    INFO(wrong);
    CHECK(wrong.empty());
  }
  chain.set_hook(nullptr);
  chain.set_lag(0);
  require_settled(h);
  const std::string wrong = wrongly_off_chain(h);
  INFO(wrong);
  CHECK(wrong.empty());
}

TEST_CASE("a lagging endpoint's short eth_getLogs answer is never committed as scanned",
          "[follower][lag]") {
  FakeChain chain;
  for (std::uint64_t i = 0; i < 40; ++i) chain.mine({FakeTransfer::mint(fake_wallet(1 + i), 1)});
  FollowerHarness h(fake_follower_options(chain, 1), &chain);
  // Only the eth_getLogs calls go to an endpoint 30 blocks behind (a failover and back).
  chain.set_hook([&](FakeChain::Op op) { chain.set_lag(op == FakeChain::Op::kLogs ? 30 : 0); });
  for (int i = 0; i < 10; ++i) {
    auto step = h.follower().step();
    INFO(step.status().to_string());
    if (!step.ok()) CHECK_FALSE(node::Follower::is_fatal(step.status()));
  }
  chain.set_hook(nullptr);
  chain.set_lag(0);
  require_settled(h);  // every scanned range holds its claims
  CHECK(testing::live_claims(h.store()).size() == 40);
}

TEST_CASE("a flip A -> B -> A of the chain during one scan lets no fork-B log through",
          "[follower][reorg]") {
  FakeChain chain;
  chain.mine_empty(12);
  const std::vector<testing::FakeBlock> fork_a = chain.blocks();
  // Fork B: the same height, a mint in block 3 (not `to`, not a ladder rung, not `from`).
  chain.reorg(
      12, {{}, {}, {FakeTransfer::mint(fake_wallet(7), 5)}, {}, {}, {}, {}, {}, {}, {}, {}, {}});
  const std::vector<testing::FakeBlock> fork_b = chain.blocks();
  chain.set_blocks(fork_a);
  FollowerHarness h(fake_follower_options(chain, 1), &chain);  // range 1..8: ladder 7, 6, 4
  int after_logs = -1;
  chain.set_hook([&](FakeChain::Op op) {
    if (op == FakeChain::Op::kLogs && after_logs < 0) {
      chain.set_blocks(fork_b);
      after_logs = 0;
    } else if (after_logs >= 0 && op == FakeChain::Op::kHeaders && ++after_logs == 2) {
      chain.set_blocks(fork_a);  // before the headers after the logs
    }
  });
  auto step = h.follower().step();
  chain.set_hook(nullptr);
  chain.set_blocks(fork_a);  // A again, however far the step got
  INFO(step.status().to_string());
  REQUIRE(step.ok());
  CHECK(step->kind != FollowerStepKind::kCommitted);
  require_settled(h);
  CHECK(testing::live_claims(h.store()).empty());
}

TEST_CASE("a rollback step reports its depth: the checkpoint before it minus the fork point",
          "[follower][reorg]") {
  FakeChain chain;
  BlockGen gen(11);
  gen.mine(chain, 60);
  FollowerHarness h(fake_follower_options(chain, 10), &chain);
  require_settled(h);
  const std::uint64_t before = *h.store().checkpoint();
  reorg_scanned(h, gen, 5, 0);
  std::optional<node::FollowerStep> rolled;
  for (int i = 0; i < 50 && !rolled; ++i) {  // bounded: a rollback comes within a few steps
    auto step = h.follower().step();
    REQUIRE(step.ok());
    if (step->kind == node::FollowerStepKind::kRolledBack) rolled = *step;
  }
  REQUIRE(rolled);
  CHECK(rolled->depth == before - rolled->fork_point);
  CHECK(rolled->depth >= 5);  // at least the blocks the reorg replaced
  CHECK(rolled->depth < before);
}

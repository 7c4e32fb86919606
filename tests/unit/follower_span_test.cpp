// The follower's range span adapts to the density of claims (issue 11): on a dense chain a
// committed range holds about range_claims_target claims (memory bounded by that, not by
// the span), on a sparse one the span grows to range_blocks.
#include <catch2/catch.hpp>

#include "node/follower.hpp"
#include "tests/support/fake_chain.hpp"
#include "tests/support/follower_harness.hpp"

namespace {

using namespace claimsync;
using node::FollowerStepKind;
using testing::fake_wallet;
using testing::FakeChain;
using testing::FakeTransfer;
using testing::FollowerHarness;

void mine_dense(FakeChain& chain, std::uint64_t blocks, std::uint64_t mints_per_block) {
  for (std::uint64_t b = 0; b < blocks; ++b) {
    std::vector<FakeTransfer> txs;
    for (std::uint64_t m = 0; m < mints_per_block; ++m)
      txs.push_back(
          FakeTransfer::mint(fake_wallet(1 + (b * mints_per_block + m) % 50), 1 + m % 19));
    chain.mine(std::move(txs));
  }
}

std::vector<node::FollowerStep> committed_steps(FollowerHarness& h) {
  auto steps = h.settle();
  REQUIRE(steps.ok());
  std::vector<node::FollowerStep> out;
  for (const auto& s : *steps)
    if (s.kind == FollowerStepKind::kCommitted) out.push_back(s);
  REQUIRE(h.check_outbox().empty());
  return out;
}

TEST_CASE("on a dense chain each range holds about range_claims_target claims") {
  FakeChain chain;
  mine_dense(chain, 120, 10);  // 1,200 claims
  node::FollowerOptions options = testing::fake_follower_options(chain);
  options.range_blocks = 64;
  options.first_range_blocks = 1;  // the product default
  options.range_claims_target = 45;
  FollowerHarness h(options, &chain);
  const auto steps = committed_steps(h);
  REQUIRE(steps.size() > 2);
  CHECK(steps.front().range.to - steps.front().range.from + 1 == 1);  // nothing known yet
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    total += steps[i].claims_found;
    INFO("range " << i << ": " << steps[i].range.from << ".." << steps[i].range.to << " "
                  << steps[i].claims_found << " claims");
    CHECK(steps[i].claims_found <= options.range_claims_target);
    // Once the density is known (after the first range of 1 block), ranges are full.
    if (i > 1 && i + 1 < steps.size())
      CHECK(steps[i].claims_found >= options.range_claims_target * 3 / 4);
  }
  CHECK(total == 1'200);
}

TEST_CASE("an empty first range (the deploy block) does not make the next one huge") {
  FakeChain chain;
  mine_dense(chain, 1, 0);     // the deploy block: no density known after it
  mine_dense(chain, 100, 10);  // then a dense chain
  node::FollowerOptions options = testing::fake_follower_options(chain);
  options.range_blocks = 64;
  options.first_range_blocks = 1;  // the product default
  options.range_claims_target = 20;
  FollowerHarness h(options, &chain);
  const auto steps = committed_steps(h);
  REQUIRE(steps.size() > 2);
  CHECK(steps[0].claims_found == 0);
  std::uint64_t total = 0;
  for (const node::FollowerStep& s : steps) {
    INFO("range " << s.range.from << ".." << s.range.to << ": " << s.claims_found << " claims");
    CHECK(s.claims_found <= options.range_claims_target);  // 32x growth made it 320
    total += s.claims_found;
  }
  CHECK(total == 1'000);
}

TEST_CASE("on a sparse chain the span grows to range_blocks; a dense block shrinks it") {
  FakeChain chain;
  mine_dense(chain, 300, 0);
  for (int i = 0; i < 3; ++i) {  // three blocks of 100 claims each (target 40), 20 apart
    mine_dense(chain, 1, 100);
    mine_dense(chain, 19, 0);
  }
  mine_dense(chain, 100, 0);
  node::FollowerOptions options = testing::fake_follower_options(chain);
  options.range_blocks = 64;
  options.first_range_blocks = 1;  // the product default
  options.range_claims_target = 40;
  FollowerHarness h(options, &chain);
  const auto steps = committed_steps(h);
  std::uint64_t widest = 0, total = 0;
  auto blocks = [](const node::FollowerStep& s) { return s.range.to - s.range.from + 1; };
  for (std::size_t i = 0; i < steps.size(); ++i) {
    widest = std::max(widest, blocks(steps[i]));
    total += steps[i].claims_found;
    // Too many claims: the next range (unless it is the short last one) is proportionally
    // shorter.
    if (steps[i].claims_found > options.range_claims_target && i + 2 < steps.size()) {
      INFO("range " << steps[i].range.from << ".." << steps[i].range.to);
      CHECK(blocks(steps[i + 1]) ==
            std::max<std::uint64_t>(
                blocks(steps[i]) * options.range_claims_target / steps[i].claims_found, 1));
    }
    // A range of empty blocks is followed by one twice as long (up to range_blocks).
    if (steps[i].claims_found == 0 && i + 2 < steps.size() &&
        blocks(steps[i]) * 2 <= options.range_blocks)
      CHECK(blocks(steps[i + 1]) == blocks(steps[i]) * 2);
  }
  CHECK(widest == 64);
  CHECK(total == 300);
}

}  // namespace

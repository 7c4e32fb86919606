// Finality targets (confirmations, safe, finalized), the follower never passing them, and
// the progress figures of long backfills.
#include <catch2/catch.hpp>

#include "node/finality.hpp"
#include "node/follower.hpp"
#include "node/scan_progress.hpp"
#include "tests/support/fake_chain.hpp"
#include "tests/support/follower_harness.hpp"

using namespace claimsync;
using claimsync::node::FinalityMode;
using claimsync::testing::fake_follower_options;
using claimsync::testing::fake_wallet;
using claimsync::testing::FakeChain;
using claimsync::testing::FakeTransfer;
using claimsync::testing::FollowerHarness;

TEST_CASE("confirmed_target trails the head", "[finality]") {
  CHECK(node::confirmed_target(100, 0) == 100u);
  CHECK(node::confirmed_target(100, 20) == 80u);
  CHECK(node::confirmed_target(20, 20) == 0u);
  CHECK_FALSE(node::confirmed_target(19, 20).has_value());
  CHECK_FALSE(node::confirmed_target(0, 1).has_value());
  CHECK(node::confirmed_target(UINT64_MAX, 1) == UINT64_MAX - 1);
}

TEST_CASE("finality_target asks the chain for the configured mode", "[finality]") {
  FakeChain chain;
  chain.mine_empty(100);

  auto t = node::finality_target(chain, FinalityMode::kConfirmations, 7);
  REQUIRE(t.ok());
  CHECK(t->target == 93u);
  CHECK(t->head == 100u);

  SECTION("tags the chain does not have give no target yet") {
    for (FinalityMode m : {FinalityMode::kSafe, FinalityMode::kFinalized}) {
      auto none = node::finality_target(chain, m, 0);
      REQUIRE(none.ok());
      CHECK_FALSE(none->target.has_value());
    }
  }
  SECTION("safe and finalized come from the tags") {
    chain.set_safe_lag(32);
    chain.set_finalized_lag(64);
    auto safe = node::finality_target(chain, FinalityMode::kSafe, 999);
    REQUIRE(safe.ok());
    CHECK(safe->target == 68u);
    CHECK_FALSE(safe->head.has_value());
    auto fin = node::finality_target(chain, FinalityMode::kFinalized, 999);
    REQUIRE(fin.ok());
    CHECK(fin->target == 36u);
  }
  SECTION("chain errors come back with context") {
    chain.fail_next(FakeChain::Op::kHeader, 1, ErrorCode::kTimeout);
    auto err = node::finality_target(chain, FinalityMode::kConfirmations, 1);
    REQUIRE_FALSE(err.ok());
    CHECK(err.status().code() == ErrorCode::kTimeout);
  }
}

TEST_CASE("the follower never commits above the target", "[finality][follower]") {
  const FinalityMode mode =
      GENERATE(FinalityMode::kConfirmations, FinalityMode::kSafe, FinalityMode::kFinalized);
  CAPTURE(node::finality_mode_name(mode));
  FakeChain chain;
  chain.set_safe_lag(4);
  chain.set_finalized_lag(9);
  auto options = fake_follower_options(chain, 1);
  options.finality = mode;
  options.confirmations = 6;
  const std::uint64_t lag = mode == FinalityMode::kConfirmations ? 6
                            : mode == FinalityMode::kSafe        ? 4
                                                                 : 9;
  FollowerHarness h(options, &chain);
  for (int i = 1; i <= 40; ++i) {
    chain.mine({FakeTransfer::mint(fake_wallet(static_cast<std::uint64_t>(i)), 1 + i % 19)});
    auto steps = h.settle();
    REQUIRE(steps.ok());
    if (chain.head() < lag + options.start_block) {
      CHECK_FALSE(h.store().checkpoint().has_value());
    } else {
      CHECK(h.store().checkpoint() == chain.head() - lag);
    }
    const std::string diff = h.check_outbox();
    INFO(diff);
    REQUIRE(diff.empty());
  }
  CHECK(h.follower().status().target == chain.head() - lag);
}

TEST_CASE("progress: rates over the last interval, ETA, bounded lines", "[progress]") {
  ManualClock clock(0);
  node::ScanProgress progress(clock, 10'000);
  progress.on_range(1, 1000, 50, 100'000);
  clock.advance_ms(5'000);
  progress.on_range(1001, 2000, 50, 100'000);
  // Interval not over: no rate yet.
  CHECK(progress.snapshot().blocks_per_s == 0);
  CHECK_FALSE(progress.snapshot().eta_s.has_value());
  clock.advance_ms(5'000);
  progress.on_range(2001, 3000, 100, 100'000);
  auto s = progress.snapshot();
  CHECK(s.current == 3000);
  CHECK(s.blocks_per_s == Approx(300.0));  // 3000 blocks in 10 s
  CHECK(s.claims_per_s == Approx(20.0));
  REQUIRE(s.eta_s.has_value());
  CHECK(*s.eta_s == Approx(97'000.0 / 300.0));
  CHECK(s.blocks_total == 3000);
  CHECK(s.claims_total == 200);
  // Caught up: ETA 0.
  clock.advance_ms(10'000);
  progress.on_range(3001, 100'000, 0, 100'000);
  CHECK(progress.snapshot().eta_s == 0.0);
}

// Wake-ups on the hot path (issue 11): a follower commit wakes the replicator and a head
// hint wakes the follower without a poll interval elapsing. Time is a FrozenClock: it
// stands still unless the test moves it, so work that gets done while it stands still was
// started by a wake-up, never by a poll.
#include <catch2/catch.hpp>

#include <thread>

#include "node/follower.hpp"
#include "node/replicator.hpp"
#include "rpc/clock.hpp"
#include "storage/node_store.hpp"
#include "tests/support/fake_chain.hpp"
#include "tests/support/fake_sink.hpp"
#include "tests/support/follower_harness.hpp"
#include "tests/support/frozen_clock.hpp"
#include "tests/support/process.hpp"
#include "tests/support/synthetic_claims.hpp"

namespace {

using namespace claimsync;
using namespace std::chrono_literals;
using store::ClaimState;
using testing::FakeChain;
using testing::FakeSink;
using testing::FakeTransfer;
using testing::FrozenClock;

TEST_CASE("Wakeup: a notify before the sleep is not lost; a stop ends it") {
  StopFlag stop;
  Wakeup wake(stop);
  const std::uint64_t token = wake.token();
  wake.notify();  // the worker is still "looking for work"
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(wake.wait_for_ms(60'000, token));
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  // With a fresh token it waits (here: for the stop of the flag it watches).
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);  // lets the wait below begin; not a correctness sleep
    stop.request_stop();
  });
  CHECK(wake.wait_for_ms(60'000, wake.token()));
  stopper.join();
}

TEST_CASE("Wakeup: StopFlag::notify wakes every Wakeup on it") {
  StopFlag stop;
  Wakeup a(stop), b(stop);
  const std::uint64_t ta = a.token(), tb = b.token();
  stop.notify();
  CHECK(a.token() != ta);
  CHECK(b.token() != tb);
}

struct Outbox {
  testing::TempDir dir{"wakeup-test"};
  std::unique_ptr<store::NodeStore> store;
  explicit Outbox(const store::StoreIdentity& id) {
    auto opened = store::NodeStore::open(dir.file("store"), id);
    REQUIRE(opened.ok());
    store = std::move(opened.value());
  }
  std::uint64_t count(ClaimState s) const { return store->counters().of(s); }
};

node::ReplicatorConfig slow_polls() {
  node::ReplicatorConfig c;
  c.batch_size = 100;
  c.idle_poll_ms = 3'600'000;  // an hour: only a wake-up can end an idle sleep here
  return c;
}

TEST_CASE("the idle replicator is woken by new claims without waiting for its poll") {
  FrozenClock clock;
  Outbox box(testing::synthetic_identity());
  FakeSink sink;
  node::Replicator replicator(*box.store, sink, clock, slow_polls(), 7);
  StopFlag stop;
  Wakeup wake(stop);
  std::thread worker([&] { replicator.run(wake); });
  REQUIRE(testing::wait_until([&] { return clock.sleepers() == 1; }, 5s));  // idle, asleep

  for (std::uint32_t n = 0; n < 15; ++n)
    REQUIRE(box.store->ingest(testing::synthetic_claim(n), clock.now_ms()).ok());
  wake.notify();
  const bool done = testing::wait_until([&] { return box.count(ClaimState::kDone) == 15; }, 5s);
  stop.request_stop();
  worker.join();
  CHECK(done);
  CHECK(sink.memberships().size() == 15);
  CHECK(clock.elapsed_sleeps() == 0);  // no poll interval elapsed
  CHECK(clock.capped_sleeps() == 0);
}

TEST_CASE("a follower commit wakes the replicator; a head hint wakes the follower") {
  // Wired as `claimsync run` wires them (node/daemon.cpp).
  FakeChain chain;
  node::FollowerOptions options = testing::fake_follower_options(chain);
  options.poll_interval_ms = 3'600'000;
  Outbox box({options.chain_id, options.contract, options.start_block});
  FrozenClock clock;
  FakeSink sink;
  node::Follower follower(chain, *box.store, clock, options);
  node::Replicator replicator(*box.store, sink, clock, slow_polls(), 7);
  StopFlag stop;
  Wakeup follower_wake(stop), replicator_wake(stop);
  follower.set_on_new_work([&] { replicator_wake.notify(); });
  std::thread follower_thread([&] { (void)follower.run(follower_wake); });
  std::thread replicator_thread([&] { replicator.run(replicator_wake); });
  REQUIRE(testing::wait_until([&] { return clock.sleepers() == 2; }, 5s));  // both idle

  const std::uint64_t before = clock.elapsed_sleeps();
  chain.mine({FakeTransfer::mint(testing::fake_wallet(1), 3),
              FakeTransfer::mint(testing::fake_wallet(2), 5)});
  follower_wake.notify();  // what a newHeads subscription does
  const bool replicated = testing::wait_until([&] { return sink.memberships().size() == 2; }, 5s);
  stop.request_stop();
  follower_thread.join();
  replicator_thread.join();
  CHECK(replicated);
  CHECK(box.count(ClaimState::kDone) == 2);
  CHECK(clock.elapsed_sleeps() == before);  // neither poll elapsed
  CHECK(clock.capped_sleeps() == 0);
}

}  // namespace

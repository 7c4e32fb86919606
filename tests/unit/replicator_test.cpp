// Replicator against the real RocksDB NodeStore (in a temp dir) and a scripted FakeSink,
// driven step by step with a ManualClock: no sleeps, no threads, same result every run.
// Only the last case runs run() on a thread with the system clock (waking and stopping).
#include <catch2/catch.hpp>

#include <functional>
#include <stdexcept>
#include <utility>
#include <thread>

#include "node/replicator.hpp"
#include "storage/node_store.hpp"
#include "tests/support/fake_sink.hpp"
#include "tests/support/forwarding_node_store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/synthetic_claims.hpp"

namespace {

using namespace claimsync;
using node::Replicator;
using node::ReplicatorConfig;
using node::StepKind;
using node::StepResult;
using store::Claim;
using store::ClaimKey;
using store::ClaimState;
using testing::FakeSink;
using testing::synthetic_claim;

ReplicatorConfig small_config() {
  ReplicatorConfig config;
  config.batch_size = 10;
  config.max_attempts = 3;
  config.backoff_initial_ms = 1'000;
  config.backoff_max_ms = 60'000;
  config.idle_poll_ms = 500;
  return config;
}

struct Fixture {
  testing::TempDir dir{"replicator-test"};
  ManualClock clock;
  FakeSink sink;
  std::unique_ptr<store::NodeStore> store;
  std::vector<Claim> claims;

  Fixture() { reopen(); }

  void reopen() {
    store.reset();
    auto opened = store::NodeStore::open(dir.file("store"), testing::synthetic_identity());
    REQUIRE(opened.ok());
    store = std::move(opened.value());
  }

  void ingest(std::uint32_t count) {
    for (std::uint32_t n = 0; n < count; ++n) {
      claims.push_back(synthetic_claim(n));
      REQUIRE(store->ingest(claims.back(), clock.now_ms()).ok());
    }
  }

  ClaimState state_of(std::uint32_t n) const { return store->get(claims.at(n).key).value().state; }
  std::uint64_t count(ClaimState s) const { return store->counters().of(s); }
};

// Steps until nothing is due and nothing is scheduled, jumping the clock to each due
// time. Bounded: fails the test if the work does not finish in `max_steps`.
void drain(Fixture& f, Replicator& r, int max_steps = 1'000) {
  for (int i = 0; i < max_steps; ++i) {
    StepResult s = r.step();
    if (s.kind == StepKind::kReplicated) continue;
    if (!s.wake_at_ms) return;
    f.clock.advance_ms(std::max<std::int64_t>(*s.wake_at_ms - f.clock.now_ms(), 1));
  }
  FAIL("replicator did not settle within " << max_steps << " steps");
}

// Claims 0..11 committed as a scanned range in blocks 100..111 (so a rollback can reach them).
void commit_twelve(Fixture& f) {
  std::vector<store::BlockRecord> blocks;
  for (std::uint32_t n = 0; n < 12; ++n) {
    f.claims.push_back(synthetic_claim(n));
    store::BlockRecord b;
    b.number = f.claims.back().block_number;
    b.hash = f.claims.back().block_hash;
    if (!blocks.empty()) b.parent_hash = blocks.back().hash;
    blocks.push_back(b);
  }
  REQUIRE(f.store->commit_range({100, 111}, blocks, f.claims, f.clock.now_ms()).ok());
}

// Thrown by a sink hook: the process "dies" right after the sink committed.
struct Crash : std::runtime_error {
  Crash() : std::runtime_error("crash after sink commit") {}
};

}  // namespace

TEST_CASE("batches double on a backlog up to max_batch_size, and fall back after trouble") {
  Fixture f;
  f.ingest(200);
  ReplicatorConfig config = small_config();  // batch_size 10
  config.max_batch_size = 40;
  Replicator r(*f.store, f.sink, f.clock, config, 1);
  std::vector<std::size_t> taken;
  for (int i = 0; i < 4; ++i) taken.push_back(r.step().taken);
  CHECK(taken == std::vector<std::size_t>{10, 20, 40, 40});

  // An outage: the failed call sets the limit back; it grows again afterwards.
  f.sink.fail_next_calls(1);
  CHECK(r.step().kind == StepKind::kPaused);
  CHECK(r.batch_limit() == 10);
  f.clock.advance_ms(config.backoff_max_ms);
  CHECK(r.step().taken == 10);
  CHECK(r.batch_limit() == 20);

  // A rejected claim: met in small batches from then on.
  const ClaimKey bad = f.claims.at(150).key;
  f.sink.reject_when([bad](const Claim& c) -> std::optional<std::string> {
    if (c.key == bad) return "violates check";
    return std::nullopt;
  });
  for (int i = 0; i < 10 && r.batch_limit() != 10; ++i) r.step();
  CHECK(r.batch_limit() == 10);
  // A partial batch (the end of the backlog) does not grow it.
  drain(f, r);
  CHECK(f.count(ClaimState::kDone) == 199);
}

TEST_CASE("replicator moves due claims to done in batches of batch_size") {
  Fixture f;
  f.ingest(25);
  ReplicatorConfig config = small_config();
  config.max_batch_size = config.batch_size;  // no growth here (see the next case)
  Replicator r(*f.store, f.sink, f.clock, config, 1);

  StepResult first = r.step();
  CHECK(first.kind == StepKind::kReplicated);
  CHECK(first.taken == 10);
  CHECK(first.replicated == 10);
  drain(f, r);

  CHECK(f.count(ClaimState::kDone) == 25);
  CHECK(f.sink.largest_call() == 10);
  CHECK(f.sink.apply_calls() == 3);
  for (const auto& [key, commits] : f.sink.apply_commits()) CHECK(commits == 1);
  CHECK(f.sink.ledger_count("done") == 25);
  CHECK(r.status().replicated == 25);
  CHECK(r.step().kind == StepKind::kIdle);
}

TEST_CASE("an outage pauses everything, spends no attempt, and resumes on reconnect") {
  Fixture f;
  f.ingest(30);
  ReplicatorConfig config = small_config();
  Replicator r(*f.store, f.sink, f.clock, config, 2);
  f.sink.set_down(true);

  StepResult s = r.step();
  REQUIRE(s.kind == StepKind::kPaused);
  REQUIRE(s.wake_at_ms);
  const std::int64_t first_pause = *s.wake_at_ms - f.clock.now_ms();
  CHECK(first_pause >= config.backoff_initial_ms);
  CHECK(first_pause <= 2 * config.backoff_initial_ms);

  // Before the pause ends, steps touch neither the sink nor the outbox.
  const std::size_t calls_before = f.sink.apply_calls() + f.sink.ping_calls();
  f.clock.advance_ms(first_pause - 1);
  CHECK(r.step().kind == StepKind::kPaused);
  CHECK(f.sink.apply_calls() + f.sink.ping_calls() == calls_before);

  // A long outage: one ping per pause, no batches loaded, pauses bounded by backoff_max.
  std::int64_t longest = 0;
  for (int i = 0; i < 60; ++i) {
    f.clock.advance_ms(std::max<std::int64_t>(*s.wake_at_ms - f.clock.now_ms(), 0));
    s = r.step();
    REQUIRE(s.kind == StepKind::kPaused);
    const std::int64_t pause = *s.wake_at_ms - f.clock.now_ms();
    CHECK(pause >= config.backoff_initial_ms);
    CHECK(pause <= config.backoff_max_ms);
    longest = std::max(longest, pause);
  }
  CHECK(longest > config.backoff_max_ms / 4);  // it did back off exponentially
  CHECK(f.sink.apply_calls() == 1);            // only the batch that discovered the outage
  CHECK(f.sink.ping_calls() == 60);
  CHECK(f.count(ClaimState::kPending) == 30);
  for (std::uint32_t n = 0; n < 30; ++n) CHECK(f.store->get(f.claims[n].key)->attempts == 0);
  CHECK(r.status().paused);
  CHECK(r.status().pauses == 1);  // one state change, however many retries
  CHECK(r.status().unavailable == 61);
  CHECK_FALSE(r.status().last_error.empty());

  f.sink.set_down(false);
  drain(f, r);
  CHECK(f.count(ClaimState::kDone) == 30);
  CHECK(f.count(ClaimState::kDead) == 0);
  CHECK_FALSE(r.status().paused);
  for (const auto& [key, commits] : f.sink.apply_commits()) CHECK(commits == 1);
  for (std::uint32_t n = 0; n < 30; ++n) CHECK(f.store->get(f.claims[n].key)->attempts == 0);
}

TEST_CASE("a whole-call failure that is not transient also pauses without spending attempts") {
  Fixture f;
  f.ingest(5);
  Replicator r(*f.store, f.sink, f.clock, small_config(), 3);
  f.sink.fail_next_calls(1, ErrorCode::kInternal);
  CHECK(r.step().kind == StepKind::kPaused);
  CHECK(f.count(ClaimState::kPending) == 5);
  drain(f, r);
  CHECK(f.count(ClaimState::kDone) == 5);
  for (std::uint32_t n = 0; n < 5; ++n) CHECK(f.store->get(f.claims[n].key)->attempts == 0);
}

TEST_CASE("a claim-specific failure goes dead after max_attempts while the others go done") {
  Fixture f;
  f.ingest(25);
  const eth::Address bad = f.claims[3].wallet;
  f.sink.reject_when([&](const Claim& c) -> std::optional<std::string> {
    if (c.wallet == bad) return "violates check constraint \"no_bad_wallet\"";
    return std::nullopt;
  });
  ReplicatorConfig config = small_config();
  Replicator r(*f.store, f.sink, f.clock, config, 4);

  // The first batch holds the bad claim: the nine others are committed regardless.
  StepResult s = r.step();
  CHECK(s.replicated == 9);
  CHECK(s.failed == 1);
  CHECK(f.state_of(3) == ClaimState::kRetrying);
  const Claim after_one = f.store->get(f.claims[3].key).value();
  CHECK(after_one.attempts == 1);
  CHECK(after_one.last_error.find("no_bad_wallet") != std::string::npos);
  CHECK(after_one.next_attempt_at_ms - f.clock.now_ms() >= config.backoff_initial_ms);
  CHECK(after_one.next_attempt_at_ms - f.clock.now_ms() <= 2 * config.backoff_initial_ms);
  CHECK(f.sink.ledger(f.claims[3].key)->status == "retrying");

  drain(f, r);
  CHECK(f.state_of(3) == ClaimState::kDead);
  CHECK(f.store->get(f.claims[3].key)->attempts == config.max_attempts);
  CHECK(f.count(ClaimState::kDone) == 24);
  CHECK(f.count(ClaimState::kDead) == 1);
  CHECK(f.sink.ledger(f.claims[3].key)->status == "dead");
  CHECK(f.sink.ledger(f.claims[3].key)->attempts == config.max_attempts);
  CHECK(f.sink.ledger_count("done") == 24);
  CHECK(r.status().dead == 1);
  CHECK(r.status().claim_failures == config.max_attempts);
  CHECK_FALSE(r.status().paused);  // a bad claim never pauses the replicator

  // The operator fixes the cause and retries: the claim goes through.
  f.sink.reject_when({});
  REQUIRE(f.store->retry_dead(f.claims[3].key, f.clock.now_ms()).ok());
  drain(f, r);
  CHECK(f.state_of(3) == ClaimState::kDone);
  CHECK(f.sink.ledger(f.claims[3].key)->status == "done");
}

TEST_CASE(
    "backoff is initial plus full jitter: within [initial, min(max, initial + initial * "
    "2^(n-1))]") {
  Fixture f;
  ReplicatorConfig config = small_config();
  Replicator r(*f.store, f.sink, f.clock, config, 5);
  for (std::uint32_t n = 1; n <= 12; ++n) {
    const std::int64_t ceiling = std::min<std::int64_t>(
        config.backoff_max_ms, config.backoff_initial_ms + (config.backoff_initial_ms << (n - 1)));
    std::int64_t lo = ceiling, hi = 0;
    for (int i = 0; i < 400; ++i) {
      const std::int64_t d = r.backoff_ms(n);
      REQUIRE(d >= config.backoff_initial_ms);
      REQUIRE(d <= ceiling);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    {  // jittered across the whole interval, not a fixed delay
      CHECK(lo < config.backoff_initial_ms + (ceiling - config.backoff_initial_ms) / 4);
      CHECK(hi > ceiling - (ceiling - config.backoff_initial_ms) / 4);
    }
  }
}

TEST_CASE("revoking claims are revoked in the sink and marked revoked") {
  Fixture f;
  commit_twelve(f);
  Replicator r(*f.store, f.sink, f.clock, small_config(), 6);
  drain(f, r);
  REQUIRE(f.count(ClaimState::kDone) == 12);
  REQUIRE(f.sink.memberships().size() == 12);

  // Blocks 106..111 leave the chain after replication: their claims become revoking.
  auto rolled = f.store->rollback_to(105, f.clock.now_ms());
  REQUIRE(rolled.ok());
  REQUIRE(rolled->revoking == 6);
  drain(f, r);
  CHECK(f.count(ClaimState::kRevoked) == 6);
  CHECK(f.count(ClaimState::kDone) == 6);
  CHECK(f.sink.revoke_calls() >= 1);
  CHECK(f.sink.memberships().size() == 6);
  CHECK(f.sink.ledger_count("revoked") == 6);
  CHECK(r.status().revoked == 6);
  for (std::uint32_t n = 6; n < 12; ++n) CHECK(f.state_of(n) == ClaimState::kRevoked);
}

TEST_CASE("a reorg during an apply: the sink's rows of claims off the chain are revoked, durably") {
  Fixture f;
  commit_twelve(f);
  // While the sink commits the first batch, blocks 106..111 leave the chain; the sink then
  // goes down, so the repair cannot run at once.
  bool raced = false;
  f.sink.on_commit([&] {
    if (raced) return;
    raced = true;
    // Sent to the sink, so revoking (not just orphaned): the sink may hold their rows.
    REQUIRE(f.store->rollback_to(105, f.clock.now_ms()).value().revoking == 6);
    f.sink.set_down(true);
  });
  {
    ReplicatorConfig config = small_config();
    config.batch_size = 12;
    Replicator r(*f.store, f.sink, f.clock, config, 9);
    r.step();
    REQUIRE(raced);
    CHECK(f.sink.memberships().size() == 12);  // the sink holds all twelve ...
    CHECK(f.count(ClaimState::kDone) == 6);
    CHECK(f.count(ClaimState::kRevoking) == 6);  // ... and the store remembers to undo six
    for (int i = 0; i < 5; ++i) r.step();        // sink down: nothing changes
    CHECK(f.count(ClaimState::kRevoking) == 6);
  }
  f.reopen();  // a restart keeps the repair
  CHECK(f.count(ClaimState::kRevoking) == 6);
  f.sink.on_commit({});
  f.sink.set_down(false);
  Replicator restarted(*f.store, f.sink, f.clock, small_config(), 10);
  drain(f, restarted);
  CHECK(f.count(ClaimState::kRevoked) == 6);
  CHECK(f.count(ClaimState::kDone) == 6);
  CHECK(f.sink.memberships().size() == 6);
  for (std::uint32_t n = 0; n < 12; ++n) {
    CHECK(f.sink.ledger(f.claims[n].key)->status == (n < 6 ? "done" : "revoked"));
  }
}

// A reorg between the replicator's due() and its mark_sent() (in the node the follower's
// rollback holds the store's write lock while the replicator waits to mark): the claims it
// took are orphaned, never sent, before they are marked. They must not reach the sink
// then, since nothing would ever undo their rows. (The guarantee test met this as ledger
// rows of mints off the chain while the store held the same claims orphaned.)
TEST_CASE("a reorg between due() and mark_sent(): the orphaned claims never reach the sink") {
  Fixture f;
  commit_twelve(f);
  struct ReorgBeforeMark : testing::ForwardingNodeStore {
    using ForwardingNodeStore::ForwardingNodeStore;
    std::function<void()> hook;
    Result<std::vector<Claim>> mark_sent(store::SinkOp op,
                                         const std::vector<Claim>& taken) override {
      if (hook) std::exchange(hook, {})();
      return ForwardingNodeStore::mark_sent(op, taken);
    }
  } store(*f.store);
  store.hook = [&] { REQUIRE(f.store->rollback_to(105, f.clock.now_ms()).value().orphaned == 6); };
  ReplicatorConfig config = small_config();
  config.batch_size = 12;
  Replicator r(store, f.sink, f.clock, config, 15);
  drain(f, r);
  REQUIRE_FALSE(store.hook);  // the reorg ran
  CHECK(f.count(ClaimState::kDone) == 6);
  CHECK(f.count(ClaimState::kOrphaned) == 6);
  CHECK(f.sink.memberships().size() == 6);
  for (std::uint32_t n = 0; n < 12; ++n) {
    const auto row = f.sink.ledger(f.claims[n].key);
    if (n < 6) {
      CHECK((row && row->status == "done"));
    } else {
      CHECK_FALSE(row);  // never handed to the sink
    }
  }
}

// The same race on the revoke side: revoking claims taken by due() are seen on the chain
// again (back in the block they were sent in: pending) before they are marked. They are
// left to the due work of their new state, which applies them; nothing is lost.
TEST_CASE("a reorg back between due() and mark_sent() of a revoke: the claims stay applied") {
  Fixture f;
  commit_twelve(f);
  Replicator first(*f.store, f.sink, f.clock, small_config(), 16);
  drain(f, first);
  REQUIRE(f.store->rollback_to(105, f.clock.now_ms()).value().revoking == 6);
  struct ReorgBackBeforeMark : testing::ForwardingNodeStore {
    using ForwardingNodeStore::ForwardingNodeStore;
    std::function<void()> hook;
    Result<std::vector<Claim>> mark_sent(store::SinkOp op,
                                         const std::vector<Claim>& taken) override {
      if (hook && op == store::SinkOp::kRevoke) std::exchange(hook, {})();
      return ForwardingNodeStore::mark_sent(op, taken);
    }
  } store(*f.store);
  store.hook = [&] {
    for (std::uint32_t n = 6; n < 12; ++n)
      REQUIRE(f.store->ingest(f.claims[n], f.clock.now_ms()).ok());
  };
  Replicator r(store, f.sink, f.clock, small_config(), 17);
  drain(f, r);
  REQUIRE_FALSE(store.hook);
  CHECK(f.count(ClaimState::kDone) == 12);
  CHECK(f.sink.memberships().size() == 12);
  for (std::uint32_t n = 0; n < 12; ++n) CHECK(f.sink.ledger(f.claims[n].key)->status == "done");
}

TEST_CASE("a reorg back during a revoke: the claims canonical again are applied again") {
  Fixture f;
  commit_twelve(f);
  Replicator r(*f.store, f.sink, f.clock, small_config(), 11);
  drain(f, r);
  REQUIRE(f.count(ClaimState::kDone) == 12);
  REQUIRE(f.store->rollback_to(105, f.clock.now_ms()).value().revoking == 6);
  // While the sink revokes them, the six claims are seen on the canonical chain again.
  bool raced = false;
  f.sink.on_commit([&] {
    if (raced) return;
    raced = true;
    for (std::uint32_t n = 6; n < 12; ++n)
      REQUIRE(f.store->ingest(f.claims[n], f.clock.now_ms()).ok());
  });
  drain(f, r);
  REQUIRE(raced);
  CHECK(f.count(ClaimState::kDone) == 12);
  CHECK(f.sink.memberships().size() == 12);
  for (std::uint32_t n = 0; n < 12; ++n) CHECK(f.sink.ledger(f.claims[n].key)->status == "done");
}

TEST_CASE("a crash between the sink commit and mark_replicated replays harmlessly") {
  Fixture f;
  f.ingest(8);
  f.sink.on_commit([] { throw Crash(); });
  {
    Replicator r(*f.store, f.sink, f.clock, small_config(), 7);
    CHECK_THROWS_AS(r.step(), Crash);  // the process "dies" right after the sink commit
  }
  f.sink.on_commit({});
  CHECK(f.sink.ledger_count("done") == 8);  // the sink has it all ...
  f.reopen();                               // ... the reopened store still says pending
  CHECK(f.count(ClaimState::kPending) == 8);

  Replicator restarted(*f.store, f.sink, f.clock, small_config(), 8);
  drain(f, restarted);
  CHECK(f.count(ClaimState::kDone) == 8);
  for (const auto& [key, commits] : f.sink.apply_commits()) CHECK(commits == 2);  // replayed
  CHECK(f.sink.memberships().size() == 8);  // ... without duplicating anything
  CHECK(f.sink.ledger_count("done") == 8);
  for (std::uint32_t n = 0; n < 8; ++n) CHECK(f.store->get(f.claims[n].key)->attempts == 0);
}

// The process dies right after the sink committed a batch that a reorg had just moved:
// the claims were marked sent before the call, so the rollback revoked them and the
// restarted replicator needs no record of the call to repair the sink.
TEST_CASE("killed after a sink commit that a reorg raced: the restart revokes them") {
  Fixture f;
  commit_twelve(f);
  f.sink.on_commit([&] {
    REQUIRE(f.store->rollback_to(105, f.clock.now_ms()).value().revoking == 6);
    throw Crash();
  });
  {
    ReplicatorConfig config = small_config();
    config.batch_size = 12;
    Replicator r(*f.store, f.sink, f.clock, config, 12);
    CHECK_THROWS_AS(r.step(), Crash);
  }
  f.sink.on_commit({});
  REQUIRE(f.sink.memberships().size() == 12);  // the sink holds all twelve
  f.reopen();
  REQUIRE(f.count(ClaimState::kRevoking) == 6);  // the store moved six off the chain

  Replicator restarted(*f.store, f.sink, f.clock, small_config(), 13);
  drain(f, restarted);
  CHECK(f.count(ClaimState::kDone) == 6);
  CHECK(f.count(ClaimState::kRevoked) == 6);
  CHECK(f.sink.memberships().size() == 6);
  for (std::uint32_t n = 0; n < 12; ++n) {
    CHECK(f.sink.ledger(f.claims[n].key)->status == (n < 6 ? "done" : "revoked"));
  }
}

TEST_CASE("killed after a revoke that a reorg back raced: the restart applies them again") {
  Fixture f;
  commit_twelve(f);
  {
    Replicator r(*f.store, f.sink, f.clock, small_config(), 14);
    drain(f, r);
  }
  REQUIRE(f.store->rollback_to(105, f.clock.now_ms()).value().revoking == 6);
  f.sink.on_commit([&] {
    for (std::uint32_t n = 6; n < 12; ++n)
      REQUIRE(f.store->ingest(f.claims[n], f.clock.now_ms()).ok());
    throw Crash();
  });
  {
    Replicator r(*f.store, f.sink, f.clock, small_config(), 15);
    CHECK_THROWS_AS(r.step(), Crash);
  }
  f.sink.on_commit({});
  REQUIRE(f.sink.memberships().size() == 6);  // the revoke went through ...
  f.reopen();
  REQUIRE(f.count(ClaimState::kDone) == 6);     // ... but six claims are canonical again:
  REQUIRE(f.count(ClaimState::kPending) == 6);  // applied again (idempotent)

  Replicator restarted(*f.store, f.sink, f.clock, small_config(), 16);
  drain(f, restarted);
  CHECK(f.count(ClaimState::kDone) == 12);
  CHECK(f.sink.memberships().size() == 12);
  for (std::uint32_t n = 0; n < 12; ++n) CHECK(f.sink.ledger(f.claims[n].key)->status == "done");
}

TEST_CASE("run() waits without spinning, wakes on notify, and stops promptly") {
  Fixture f;
  SystemClock clock;
  ReplicatorConfig config = small_config();
  config.idle_poll_ms =
      3'000;  // notify() wakes it sooner (a notify racing the sleep waits this long)
  config.backoff_initial_ms = 200;
  config.backoff_max_ms = 400;
  Replicator r(*f.store, f.sink, clock, config, 9);
  StopFlag stop;
  std::thread worker([&] { r.run(stop); });

  f.ingest(15);
  stop.notify();
  CHECK(testing::wait_until([&] { return f.count(ClaimState::kDone) == 15; },
                            std::chrono::seconds(10)));

  // During an outage it probes once per pause (200..400 ms), not in a loop.
  f.sink.set_down(true);
  for (std::uint32_t n = 100; n < 110; ++n) {
    f.claims.push_back(synthetic_claim(n));
    REQUIRE(f.store->ingest(f.claims.back(), clock.now_ms()).ok());
  }
  stop.notify();
  CHECK(testing::wait_until([&] { return r.status().paused; }, std::chrono::seconds(10)));
  const std::size_t pings_before = f.sink.ping_calls();
  std::this_thread::sleep_for(std::chrono::milliseconds(1'200));  // measuring a rate, not waiting
  const std::size_t pings = f.sink.ping_calls() - pings_before;
  CHECK(pings >= 2);
  CHECK(pings <= 7);

  f.sink.set_down(false);
  CHECK(testing::wait_until([&] { return f.count(ClaimState::kDone) == 25; },
                            std::chrono::seconds(10)));

  const auto t0 = std::chrono::steady_clock::now();
  stop.request_stop();
  worker.join();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
}

TEST_CASE("a closed gate (standby) keeps the replicator off the sink and out of the outbox") {
  Fixture f;
  f.ingest(12);
  bool open = false;
  Replicator r(*f.store, f.sink, f.clock, small_config(), 3);
  r.set_gate([&open] { return open; });

  const StepResult standby = r.step();
  CHECK(standby.kind == StepKind::kStandby);
  CHECK(standby.taken == 0);
  CHECK(r.status().standby);
  CHECK(f.sink.apply_calls() == 0);
  CHECK(f.count(ClaimState::kPending) == 12);

  // Active, but the database fails: paused. Then the lease is lost: a standby is not shown
  // as a paused database (it makes no calls at all).
  open = true;
  f.sink.set_down(true);
  CHECK(r.step().kind == StepKind::kPaused);
  CHECK(r.status().paused);
  open = false;
  CHECK(r.step().kind == StepKind::kStandby);
  CHECK_FALSE(r.status().paused);

  open = true;  // the lease is ours again (and adopted): the backlog goes out
  f.sink.set_down(false);
  drain(f, r);
  CHECK_FALSE(r.status().standby);
  CHECK(f.count(ClaimState::kDone) == 12);
}

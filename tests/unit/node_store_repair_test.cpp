// NodeStore::requeue_for_repair (reconcile --repair, issue 14) on a real RocksDB store: which
// states it moves, what it skips, that the replicator's due work follows (due(), settle()),
// and that counters and indexes stay equal to a recount (verify_store_invariants).
#include <catch2/catch.hpp>

#include "storage/node_store.hpp"
#include "storage/node_store_check.hpp"
#include "tests/support/claim_fixtures.hpp"
#include "tests/support/process.hpp"

namespace claimsync::store {
namespace {

constexpr std::uint64_t kChain = 31337;
constexpr std::int64_t kNow = 1'000'000;

struct Fixture {
  testing::TempDir dir{"node-store-repair"};
  std::unique_ptr<NodeStore> store;
  Fixture() {
    auto opened = NodeStore::open(
        dir.path(), {kChain, *eth::Address::parse(std::string("0x") + std::string(40, 'c')), 0});
    REQUIRE(opened.ok());
    store = std::move(opened).value();
  }
  // Claim i of the fixture set, alone in block 2000 + 10 i, brought to `state` by the store's
  // own moves (a rollback to just below its block touches no claim put before it).
  Claim put(std::uint64_t i, ClaimState state) {
    Claim c = testing::make_claim(i);
    c.key.chain_id = kChain;
    c.block_number = 2000 + 10 * i;
    c.sources = kSourceScan;
    REQUIRE(store->ingest(c, kNow).ok());
    const bool replicate = state == ClaimState::kDone || state == ClaimState::kRevoking ||
                           state == ClaimState::kRevoked;
    if (replicate) REQUIRE(store->mark_replicated({c.key}, kNow).ok());
    if (state == ClaimState::kDead)
      REQUIRE(store->mark_failed(c.key, "boom", kNow, 1, kNow).value() == ClaimState::kDead);
    if (state == ClaimState::kOrphaned || state == ClaimState::kRevoking ||
        state == ClaimState::kRevoked)
      REQUIRE(store->rollback_to(c.block_number - 1, kNow).ok());
    if (state == ClaimState::kRevoked) REQUIRE(store->mark_replicated({c.key}, kNow).ok());
    const std::optional<Claim> now = store->get(c.key);
    REQUIRE(now);
    REQUIRE(now->state == state);
    return *now;
  }
  ClaimState state_of(const Claim& c) { return store->get(c.key)->state; }
};

}  // namespace

TEST_CASE("requeue_for_repair kApply: done -> revoking, applied again after the revoke",
          "[node_store][reconcile]") {
  Fixture f;
  const Claim done = f.put(0, ClaimState::kDone);
  const Claim pending = f.put(1, ClaimState::kPending);
  auto out = f.store->requeue_for_repair(SinkOp::kApply, {done, pending}, kNow + 5);
  REQUIRE(out.ok());
  CHECK(out->requeued == 1);
  CHECK(out->skipped == 1);
  REQUIRE(out->skipped_keys.size() == 1);
  CHECK(out->skipped_keys[0] == pending.key);
  const Claim moved = *f.store->get(done.key);
  CHECK(moved.state == ClaimState::kRevoking);
  CHECK(moved.reapply_after_revoke);
  CHECK(moved.next_attempt_at_ms == kNow + 5);
  CHECK(f.store->counters().of(ClaimState::kDone) == 0);
  CHECK(f.store->counters().of(ClaimState::kRevoking) == 1);
  CHECK(verify_store_invariants(*f.store).ok());

  // The replicator's path: the revoke settles to pending (due now), the apply to done.
  auto due = f.store->due(kNow + 5, 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 2);
  std::vector<Claim> revoking;
  for (const Claim& c : *due)
    if (c.state == ClaimState::kRevoking) revoking.push_back(c);
  REQUIRE(revoking.size() == 1);
  REQUIRE(f.store->settle(SinkOp::kRevoke, revoking, kNow + 6).ok());
  CHECK(f.state_of(done) == ClaimState::kPending);
  REQUIRE(f.store->settle(SinkOp::kApply, {*f.store->get(done.key)}, kNow + 7).ok());
  CHECK(f.state_of(done) == ClaimState::kDone);
  CHECK(verify_store_invariants(*f.store).ok());
}

TEST_CASE("requeue_for_repair kRevoke: live, revoked and unknown claims -> revoking",
          "[node_store][reconcile]") {
  Fixture f;
  const Claim done = f.put(0, ClaimState::kDone);
  const Claim pending = f.put(1, ClaimState::kPending);
  const Claim dead = f.put(2, ClaimState::kDead);
  const Claim revoked = f.put(3, ClaimState::kRevoked);
  const Claim orphaned = f.put(4, ClaimState::kOrphaned);
  const Claim revoking = f.put(7, ClaimState::kRevoking);
  Claim unknown = testing::make_claim(5);
  unknown.key.chain_id = kChain;
  unknown.sources = kSourceReconcile;
  Claim other_chain = testing::make_claim(6);
  other_chain.key.chain_id = 1;

  auto out = f.store->requeue_for_repair(
      SinkOp::kRevoke,
      {done, pending, dead, revoked, orphaned, revoking, unknown, other_chain, done}, kNow + 5);
  REQUIRE(out.ok());
  CHECK(out->requeued == 6);  // done, pending, dead, revoked, orphaned, unknown
  CHECK(out->skipped == 3);   // already revoking, another chain, a repeated key
  for (const Claim* c :
       std::vector<const Claim*>{&done, &pending, &dead, &revoked, &orphaned, &unknown}) {
    const std::optional<Claim> now = f.store->get(c->key);
    REQUIRE(now);
    CHECK(now->state == ClaimState::kRevoking);
    CHECK(now->sent_to_sink);
    CHECK_FALSE(now->reapply_after_revoke);
    CHECK(now->next_attempt_at_ms == kNow + 5);
  }
  CHECK((f.store->get(unknown.key)->sources & kSourceReconcile) != 0);
  CHECK(f.store->counters().of(ClaimState::kRevoking) == 7);
  CHECK(f.store->counters().total() == 7);
  CHECK(verify_store_invariants(*f.store).ok());

  // Settled like any revoke.
  auto due = f.store->due(kNow + 5, 10);
  REQUIRE(due.ok());
  REQUIRE(f.store->settle(SinkOp::kRevoke, *due, kNow + 6).ok());
  CHECK(f.store->counters().of(ClaimState::kRevoked) == 7);
  CHECK(verify_store_invariants(*f.store).ok());
}

TEST_CASE("requeue_for_repair: nothing to move writes nothing", "[node_store][reconcile]") {
  Fixture f;
  const Claim pending = f.put(1, ClaimState::kPending);
  auto out = f.store->requeue_for_repair(SinkOp::kApply, {pending}, kNow + 5);
  REQUIRE(out.ok());
  CHECK(out->requeued == 0);
  CHECK(f.store->get(pending.key)->updated_at_ms == pending.updated_at_ms);
}

}  // namespace claimsync::store

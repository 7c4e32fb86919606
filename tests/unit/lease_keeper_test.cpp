// LeaseKeeper's role decisions over a scripted lease and a frozen clock; and the ledger
// adoption rule (node/ha/ledger_adoption.hpp) case by case.
#include <catch2/catch.hpp>

#include <deque>
#include <vector>

#include "node/ha/ledger_adoption.hpp"
#include "node/ha/lease_keeper.hpp"
#include "tests/support/frozen_clock.hpp"

namespace claimsync::testing {
namespace {

using node::AdoptionAction;
using node::HaRole;
using node::LeaseKeeper;

// Answers acquire() from a script (one answer per call; the last one repeats).
class ScriptedLease final : public store::SinkLease {
 public:
  std::deque<Result<store::LeaseState>> answers;
  std::vector<std::int64_t> released;  // tokens
  int calls = 0;

  Result<store::LeaseState> acquire(const std::string&, const std::string&,
                                    std::int64_t) override {
    ++calls;
    REQUIRE(!answers.empty());
    Result<store::LeaseState> a = answers.front();
    if (answers.size() > 1) answers.pop_front();
    return a;
  }
  Status release(const std::string&, const std::string&, std::int64_t token) override {
    released.push_back(token);
    return {};
  }
};

store::LeaseState held(std::int64_t token, std::int64_t expires_in_ms = 2'000) {
  return {true, "me/1", token, expires_in_ms};
}
store::LeaseState other(std::int64_t token) { return {false, "other/2", token, 1'500}; }

node::LeaseKeeperOptions options() {
  return {"31337:0xabc", "me", "me/1", /*ttl_ms=*/2'000, /*renew_every_ms=*/500};
}

TEST_CASE("lease keeper: active while the grant lasts, standby when another holds it") {
  FrozenClock clock;
  ScriptedLease lease;
  std::vector<HaRole> changes;
  LeaseKeeper keeper(lease, clock, options(), [&](HaRole r) { changes.push_back(r); });
  CHECK(keeper.status().role == HaRole::kStarting);
  CHECK_FALSE(keeper.current());

  lease.answers = {held(7)};
  keeper.tick();
  REQUIRE(keeper.current());
  CHECK(keeper.current()->token == 7);
  CHECK(keeper.current()->holder == "me/1");
  CHECK(keeper.status().role == HaRole::kActive);
  CHECK(keeper.status().takeovers == 1);

  keeper.tick();  // a renewal: same token, not a new takeover
  CHECK(keeper.status().takeovers == 1);

  lease.answers = {other(8)};
  keeper.tick();
  CHECK_FALSE(keeper.current());
  CHECK(keeper.status().role == HaRole::kStandby);
  CHECK(keeper.status().holder == "other/2");
  CHECK(keeper.status().token == 8);

  lease.answers = {held(9)};
  keeper.tick();
  CHECK(keeper.status().takeovers == 2);
  CHECK(changes == std::vector<HaRole>{HaRole::kActive, HaRole::kStandby, HaRole::kActive});
}

TEST_CASE("lease keeper: an unreachable database ends the grant at its local deadline") {
  FrozenClock clock;
  ScriptedLease lease;
  LeaseKeeper keeper(lease, clock, options());
  lease.answers = {held(3, /*expires_in_ms=*/2'000)};
  keeper.tick();
  REQUIRE(keeper.current());

  lease.answers = {error(ErrorCode::kTimeout, "database did not answer")};
  clock.advance_ms(1'000);
  keeper.tick();  // fails: the grant still lasts 1 s
  CHECK(keeper.current());
  CHECK(keeper.status().last_error.find("did not answer") != std::string::npos);

  clock.advance_ms(1'000);  // no tick needed: the fence reads the deadline itself
  CHECK_FALSE(keeper.current());
  CHECK(keeper.status().role == HaRole::kStandby);
}

TEST_CASE("lease keeper: the grant counts from when the request was sent, at most the TTL") {
  FrozenClock clock;
  ScriptedLease lease;
  LeaseKeeper keeper(lease, clock, options());
  // The database grants more than the configured TTL (a clock step on its side): the
  // keeper trusts only its own TTL.
  lease.answers = {held(4, /*expires_in_ms=*/60'000)};
  keeper.tick();
  clock.advance_ms(1'999);
  CHECK(keeper.current());
  clock.advance_ms(1);
  CHECK_FALSE(keeper.current());
}

TEST_CASE("lease keeper: release hands the held token back once") {
  FrozenClock clock;
  ScriptedLease lease;
  LeaseKeeper keeper(lease, clock, options());
  keeper.release();  // nothing held: no call
  CHECK(lease.released.empty());
  lease.answers = {held(5)};
  keeper.tick();
  keeper.release();
  CHECK(lease.released == std::vector<std::int64_t>{5});
  CHECK_FALSE(keeper.current());
  keeper.release();
  CHECK(lease.released.size() == 1);
}

store::Claim in_state(store::ClaimState s) {
  store::Claim c;
  c.state = s;
  return c;
}

TEST_CASE("ledger adoption: each ledger status against each store state") {
  using S = store::ClaimState;
  const std::optional<store::Claim> none;
  // Rows the sink may hold (any status but revoked).
  for (const char* status : {"done", "pending", "retrying", "dead", "revoking", "orphaned"}) {
    INFO(status);
    CHECK(node::adoption_action(status, none, /*block_scanned=*/true) == AdoptionAction::kRevoke);
    CHECK(node::adoption_action(status, none, false) == AdoptionAction::kIngestHint);
    CHECK(node::adoption_action(status, in_state(S::kOrphaned), true) == AdoptionAction::kRevoke);
    CHECK(node::adoption_action(status, in_state(S::kRevoked), false) == AdoptionAction::kRevoke);
    for (S live : {S::kPending, S::kRetrying, S::kDead, S::kDone, S::kRevoking})
      CHECK(node::adoption_action(status, in_state(live), true) == AdoptionAction::kNone);
  }
  // A revoked row: only a claim the store believes applied needs anything.
  CHECK(node::adoption_action("revoked", in_state(S::kDone), true) == AdoptionAction::kReapply);
  CHECK(node::adoption_action("revoked", none, true) == AdoptionAction::kNone);
  for (S s : {S::kPending, S::kRetrying, S::kDead, S::kOrphaned, S::kRevoking, S::kRevoked})
    CHECK(node::adoption_action("revoked", in_state(s), true) == AdoptionAction::kNone);
}

}  // namespace
}  // namespace claimsync::testing

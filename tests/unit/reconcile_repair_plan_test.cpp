// reconcile_repair_plan (node/reconcile/reconcile_repair_plan.hpp): which differences
// --repair ingests, re-applies or revokes, which it leaves as reported, and the threshold.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "node/reconcile/reconcile_repair_plan.hpp"
#include "tests/support/claim_fixtures.hpp"
#include "tests/support/reconcile_inputs.hpp"

namespace claimsync::node {
namespace {

using store::Claim;
using store::ClaimKey;
using store::ClaimState;

Claim claim(std::uint8_t tx, std::uint64_t wallet, std::uint32_t level, std::uint64_t block,
            ClaimState state = ClaimState::kDone) {
  return testing::reconcile_claim(tx, wallet, level, block, state);
}

ReconcileInputs consistent() { return testing::consistent_reconcile_inputs(); }

bool never_proven(const ClaimKey&) { return false; }
bool always_proven(const ClaimKey&) { return true; }

std::vector<std::uint8_t> txs(const std::vector<Claim>& claims) {
  std::vector<std::uint8_t> out;
  for (const Claim& c : claims) out.push_back(c.key.tx_hash.bytes()[31]);
  std::sort(out.begin(), out.end());
  return out;
}

using C = ReconcileClass;

// Inputs with every difference class, each finding about its own row.
ReconcileInputs every_difference() {
  ReconcileInputs in = consistent();
  in.scanned = {{0, 60}};
  in.chain_claims->push_back(claim(4, 3, 2, 50));                        // missing_in_store
  in.chain_claims->push_back(claim(5, 3, 1, 90));                        // unscanned
  in.store_claims.push_back(claim(11, 2, 2, 40, ClaimState::kPending));  // extra_in_store
  in.sink->ledger[0].status = "pending";                       // claim 1: ledger_status_mismatch
  in.sink->ledger.erase(in.sink->ledger.begin() + 2);          // claim 3: ledger_missing
  in.sink->membership.erase(in.sink->membership.begin() + 2);  // claim 3: membership_missing
  in.sink->members[0].current_level = 1;                       // wallet 1: current_level_wrong
  const Claim ghost = claim(9, 4, 2, 0);                       // ledger_without_claim
  in.sink->ledger.push_back({ghost.key, "done", ghost.wallet, ghost.level});
  in.sink->membership.push_back({ghost.wallet, ghost.level, ghost.key});
  const Claim stray = claim(10, 5, 1, 0);  // membership_without_claim, no ledger row
  in.sink->membership.push_back({stray.wallet, stray.level, stray.key});
  const Claim orphan = claim(12, 2, 3, 45, ClaimState::kOrphaned);  // ledger says done
  in.store_claims.push_back(orphan);
  in.sink->ledger.push_back({orphan.key, "done", orphan.wallet, orphan.level});
  const Claim dead = claim(13, 2, 4, 46, ClaimState::kDead);  // ledger says done
  in.store_claims.push_back(dead);
  in.chain_claims->push_back(dead);
  in.sink->ledger.push_back({dead.key, "done", dead.wallet, dead.level});
  return in;
}

std::string key_of(const ReconcileInputs& in, const ReconcileFinding& f) {
  if (f.mint != ReconcileFinding::kNone) return (*in.chain_claims)[f.mint].key.to_string();
  if (f.membership != ReconcileFinding::kNone)
    return in.sink->membership[f.membership].claim_key->to_string();
  if (f.claim != ReconcileFinding::kNone) return in.store_claims[f.claim].key.to_string();
  return in.sink->ledger[f.ledger].key.to_string();
}

// Every key the plan acts on or leaves, once per entry.
std::multiset<std::string> entries(const RepairPlan& p) {
  std::multiset<std::string> out;
  for (const auto* v : {&p.ingest, &p.reapply, &p.revoke})
    for (const Claim& c : *v) out.insert(c.key.to_string());
  for (const ReconcileSample& s : p.left) out.insert(s.claim_key);
  return out;
}

std::vector<ReconcileFinding> of_class(const std::vector<ReconcileFinding>& all, C c) {
  std::vector<ReconcileFinding> out;
  for (const ReconcileFinding& f : all)
    if (f.cls == c) out.push_back(f);
  return out;
}

}  // namespace

TEST_CASE("repair plan: it follows the comparison's findings, one entry per finding at most",
          "[reconcile]") {
  const ReconcileInputs in = every_difference();
  const std::vector<ReconcileFinding> findings = reconcile_findings(in);
  ReconcileReport report;
  reconcile_compare(in, report);
  // The report counts the findings the plan gets (one rule, both made from it).
  for (int i = 0; i < kReconcileClassCount; ++i) {
    const auto c = static_cast<C>(i);
    if (c == C::kMemberHolder || c == C::kMemberNotHolding || c == C::kHolderWithoutClaim)
      continue;  // balances: not findings of these rules (none read here)
    INFO(reconcile_class_name(c));
    CHECK(of_class(findings, c).size() == report.of(c).count);
  }
  // Each difference class alone: at most one entry per finding, only about its keys; the
  // counts are what this scenario's findings make (a finding the plan ignores fails here).
  const std::map<C, std::size_t> expected = {
      {C::kMissingInStore, 1},
      {C::kExtraInStore, 1},
      {C::kLedgerMissing, 1},
      {C::kLedgerStatusMismatch, 3},
      {C::kLedgerWithoutClaim, 1},
      {C::kMembershipMissing, 1},
      // the ghost's row is decided by its ledger row, the stray row is left
      {C::kMembershipWithoutClaim, 1},
      {C::kCurrentLevelWrong, 1},
      {C::kUnscanned, 1}};
  std::set<std::string> all_keys;
  for (const ReconcileFinding& f : findings) all_keys.insert(key_of(in, f));
  for (const auto& [c, n] : expected) {
    INFO(reconcile_class_name(c));
    const std::vector<ReconcileFinding> only = of_class(findings, c);
    REQUIRE_FALSE(only.empty());
    std::set<std::string> keys;
    for (const ReconcileFinding& f : only) keys.insert(key_of(in, f));
    const std::multiset<std::string> got = entries(plan_repair(in, only, always_proven));
    CHECK(got.size() == n);
    CHECK(got.size() <= only.size());
    for (const std::string& k : got) CHECK(keys.count(k) == 1);
  }
  // All together: every entry is a key some finding names; nothing reported, nothing planned.
  RepairPlan all = plan_repair(in, findings, always_proven);
  CHECK(txs(all.ingest) == std::vector<std::uint8_t>{4});
  CHECK(txs(all.reapply) == std::vector<std::uint8_t>{1, 2, 3});
  CHECK(txs(all.revoke) == std::vector<std::uint8_t>{9, 11, 12});
  CHECK(all.left.size() == 3);  // unscanned 5, dead 13, the stray row 10
  for (const std::string& k : entries(all)) CHECK(all_keys.count(k) == 1);
  RepairPlan none = plan_repair(in, {}, always_proven);
  CHECK(none.size() == 0);
  CHECK(none.left.empty());
  CHECK(none.compared == all.compared);
}

TEST_CASE("repair plan: consistent inputs plan nothing", "[reconcile]") {
  RepairPlan p = plan_repair(consistent(), never_proven);
  CHECK(p.size() == 0);
  CHECK(p.left.empty());
  CHECK(p.compared == 3);
}

TEST_CASE("repair plan: a mint the store lacks is ingested, an unscanned one left", "[reconcile]") {
  ReconcileInputs in = consistent();
  in.chain_claims->push_back(claim(4, 3, 2, 50));  // scanned block, store lacks it
  in.chain_claims->push_back(claim(5, 3, 1, 90));  // unscanned block
  in.store_claims.push_back(claim(4, 3, 2, 50, ClaimState::kOrphaned));
  in.scanned = {{0, 60}};
  RepairPlan p = plan_repair(in, never_proven);
  REQUIRE(p.ingest.size() == 1);
  CHECK(p.ingest[0].key.tx_hash.bytes()[31] == 4);
  CHECK((p.ingest[0].sources & store::kSourceReconcile) != 0);
  REQUIRE(p.left.size() == 1);
  CHECK(p.left[0].db_value.find("unscanned") != std::string::npos);
  CHECK(p.compared == 5);
}

TEST_CASE("repair plan: sink rows that disagree with a done claim are re-applied", "[reconcile]") {
  ReconcileInputs in = consistent();
  in.sink->ledger[0].status = "pending";                       // claim 1: ledger status
  in.sink->membership.erase(in.sink->membership.begin() + 2);  // claim 3: no membership row
  in.sink->members[0].current_level = 1;                       // wallet 1: current_level below 3
  RepairPlan p = plan_repair(in, never_proven);
  CHECK(txs(p.reapply) == std::vector<std::uint8_t>{1, 2, 3});  // 2: wallet 1's top level
  CHECK(p.revoke.empty());
  CHECK(p.ingest.empty());
}

TEST_CASE("repair plan: claimsync's rows without a mint are revoked, others left", "[reconcile]") {
  ReconcileInputs in = consistent();
  // A ledger row + membership row of a key the store and the chain lack.
  const Claim ghost = claim(9, 4, 2, 0);
  in.sink->ledger.push_back({ghost.key, "done", ghost.wallet, ghost.level});
  in.sink->membership.push_back({ghost.wallet, ghost.level, ghost.key});
  // A membership row with a claim key but no ledger row: not proven claimsync's.
  const Claim stray = claim(10, 5, 1, 0);
  in.sink->membership.push_back({stray.wallet, stray.level, stray.key});
  // A foreign row: never touched.
  in.sink->membership.push_back({testing::fixture_wallet(6), 4, std::nullopt});
  // A store claim the chain's logs do not hold (extra_in_store).
  in.store_claims.push_back(claim(11, 2, 2, 40, ClaimState::kPending));
  // An orphaned claim whose ledger row still says done.
  const Claim orphan = claim(12, 2, 3, 45, ClaimState::kOrphaned);
  in.store_claims.push_back(orphan);
  in.sink->ledger.push_back({orphan.key, "done", orphan.wallet, orphan.level});
  // A dead claim with a done ledger row: left for `claims retry`.
  const Claim dead = claim(13, 2, 4, 46, ClaimState::kDead);
  in.store_claims.push_back(dead);
  in.chain_claims->push_back(dead);
  in.sink->ledger.push_back({dead.key, "done", dead.wallet, dead.level});

  SECTION("the chain disproves the ghost key") {
    RepairPlan p = plan_repair(in, always_proven);
    CHECK(txs(p.revoke) == std::vector<std::uint8_t>{9, 11, 12});
    CHECK(p.reapply.empty());
    CHECK(p.ingest.empty());
    REQUIRE(p.left.size() == 2);  // the stray row and the dead claim; the foreign row is info
    bool stray_left = false, dead_left = false;
    for (const ReconcileSample& s : p.left) {
      stray_left |= s.claim_key == stray.key.to_string();
      dead_left |= s.claim_key == dead.key.to_string();
    }
    CHECK(stray_left);
    CHECK(dead_left);
  }
  SECTION("not disproved (a mint above the pin?): left") {
    RepairPlan p = plan_repair(in, never_proven);
    CHECK(txs(p.revoke) == std::vector<std::uint8_t>{11, 12});
    CHECK(p.left.size() == 3);
  }
}

TEST_CASE("repair threshold", "[reconcile]") {
  CHECK(repair_within_threshold(5, 100, 0.05));
  CHECK_FALSE(repair_within_threshold(6, 100, 0.05));
  CHECK_FALSE(repair_within_threshold(1, 100, 0.0));
  CHECK(repair_within_threshold(0, 0, 0.0));
  CHECK(repair_within_threshold(1, 0, 1.0));  // at least 1 compared
  CHECK_FALSE(repair_within_threshold(2, 0, 1.0));
}

}  // namespace claimsync::node

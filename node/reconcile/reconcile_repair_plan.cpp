#include "node/reconcile/reconcile_repair_plan.hpp"

#include <algorithm>
#include <set>

namespace claimsync::node {
namespace {

using store::Claim;
using store::ClaimKey;
using store::ClaimState;

ReconcileSample left_sample(const eth::Address& wallet, std::uint32_t level, const ClaimKey* key,
                            std::string why) {
  return {wallet.lower_hex(), level, "", std::move(why), key ? key->to_string() : "", {}};
}

using C = ReconcileClass;
using Finding = ReconcileFinding;
constexpr std::size_t kNone = Finding::kNone;

struct Planner {
  const ReconcileInputs& in;
  RepairPlan& plan;
  const std::function<bool(const ClaimKey&)>& proven_not_mint;
  std::set<ClaimKey> planned;  // each key is repaired once
  // Keys of the chain's mints the store lacks or holds off the chain (missing_in_store,
  // unscanned): the mint decides them, no row of theirs is revoked. reconcile_findings
  // gives those before the sink's findings.
  std::set<ClaimKey> minted;

  void add(std::vector<Claim>& to, const Claim& c) {
    if (!planned.insert(c.key).second) return;
    Claim copy = c;
    copy.sources |= store::kSourceReconcile;
    to.push_back(std::move(copy));
  }
  void leave(const Claim& c, std::string why) {
    if (planned.count(c.key)) return;
    plan.left.push_back(left_sample(c.wallet, c.level, &c.key, std::move(why)));
  }
  // A claim off the chain (orphaned, revoked) whose rows are still there.
  void revoke_unless_minted(const Claim& c) {
    if (!minted.count(c.key)) add(plan.revoke, c);
  }

  void mint(const Finding& f) {
    const Claim& m = (*in.chain_claims)[f.mint];
    minted.insert(m.key);
    if (f.cls == C::kMissingInStore) {
      add(plan.ingest, m);
    } else {
      leave(m, "unscanned: the follower ingests it when it scans the block");
    }
  }
  void ledger_status(const Claim& c) {
    if (c.state == ClaimState::kDone) {
      add(plan.reapply, c);
    } else if (c.state == ClaimState::kDead) {
      leave(c, "dead claim with a done ledger row: claimsync claims retry");
    } else {
      revoke_unless_minted(c);  // orphaned or revoked, the ledger says done
    }
  }
  void ledger_without_claim(const store::LedgerRow& row) {
    if (minted.count(row.key) || planned.count(row.key)) return;
    Claim c;
    c.key = row.key;
    c.wallet = row.wallet;
    c.level = row.level;
    if (proven_not_mint(row.key)) {
      add(plan.revoke, c);
    } else {
      leave(c, "ledger row without a claim, not disproved (a mint above the pin?)");
    }
  }
  void membership_without_claim(const Finding& f) {
    const store::MembershipRow& m = in.sink->membership[f.membership];
    const ClaimKey& key = *m.claim_key;
    if (planned.count(key)) return;
    if (f.ledger == kNone) {
      plan.left.push_back(left_sample(m.wallet, m.level, &key,
                                      "claim key without a ledger row: not proven claimsync's"));
      return;
    }
    if (f.claim == kNone) return;  // its ledger row was decided (revoked, ingested or left)
    const Claim& c = in.store_claims[f.claim];
    if (c.state == ClaimState::kOrphaned || c.state == ClaimState::kRevoked) {
      revoke_unless_minted(c);
    } else {
      plan.left.push_back(
          left_sample(m.wallet, m.level, &key,
                      std::string("claim is store:") + store::claim_state_name(c.state)));
    }
  }

  // One finding -> at most one action or one left entry (none when its key is planned).
  void take(const Finding& f) {
    switch (f.cls) {
      case C::kMissingInStore:
      case C::kUnscanned: return mint(f);
      case C::kExtraInStore:
        return add(plan.revoke, in.store_claims[f.claim]);  // no mint log at the pinned chain
      case C::kLedgerMissing:
      case C::kMembershipMissing:
      case C::kCurrentLevelWrong:
        // Revoking and applying the done claim again rewrites its rows and recomputes
        // members (for current_level_wrong: the claim of the wallet's highest done level).
        return add(plan.reapply, in.store_claims[f.claim]);
      case C::kLedgerStatusMismatch: return ledger_status(in.store_claims[f.claim]);
      case C::kLedgerWithoutClaim: return ledger_without_claim(in.sink->ledger[f.ledger]);
      case C::kMembershipWithoutClaim: return membership_without_claim(f);
      default: return;  // information (membership_foreign: not claimsync's, never touched)
    }
  }
};

}  // namespace

RepairPlan plan_repair(const ReconcileInputs& in, const std::vector<ReconcileFinding>& findings,
                       const std::function<bool(const store::ClaimKey&)>& proven_not_mint) {
  RepairPlan plan;
  Planner p{in, plan, proven_not_mint, {}, {}};
  std::uint64_t up_to_pin = 0;
  for (const Claim& c : in.store_claims) up_to_pin += c.block_number <= *in.pin ? 1 : 0;
  plan.compared = std::max<std::uint64_t>(up_to_pin, in.chain_claims->size());
  for (const Finding& f : findings) p.take(f);
  return plan;
}

RepairPlan plan_repair(const ReconcileInputs& in,
                       const std::function<bool(const store::ClaimKey&)>& proven_not_mint) {
  return plan_repair(in, reconcile_findings(in), proven_not_mint);
}

bool repair_within_threshold(std::uint64_t differences, std::uint64_t compared,
                             double max_fraction) {
  const double base = static_cast<double>(std::max<std::uint64_t>(compared, 1));
  return static_cast<double>(differences) <= max_fraction * base;
}

}  // namespace claimsync::node

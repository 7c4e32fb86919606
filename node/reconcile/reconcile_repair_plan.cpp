#include "node/reconcile/reconcile_repair_plan.hpp"

#include <algorithm>
#include <map>
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

struct Planner {
  const ReconcileInputs& in;
  RepairPlan& plan;
  std::map<ClaimKey, const Claim*> stored;
  std::set<ClaimKey> on_chain;
  std::set<ClaimKey> planned;  // each key is repaired once
  std::function<bool(const ClaimKey&)> proven_not_mint;

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
};

void outbox_vs_chain(Planner& p) {
  for (const Claim& m : *p.in.chain_claims) {
    auto it = p.stored.find(m.key);
    if (it != p.stored.end() && claim_is_live(it->second->state)) continue;
    if (block_in_ranges(p.in.scanned, m.block_number)) {
      p.add(p.plan.ingest, m);
    } else {
      p.leave(m, "unscanned: the follower ingests it when it scans the block");
    }
  }
  for (const Claim& c : p.in.store_claims) {
    if (c.block_number > *p.in.pin || !claim_is_live(c.state) || p.on_chain.count(c.key)) continue;
    p.add(p.plan.revoke, c);  // extra_in_store: no mint log at the pinned chain
  }
}

void sink_vs_outbox(Planner& p) {
  const store::SinkSnapshot& sink = *p.in.sink;
  std::map<ClaimKey, const store::LedgerRow*> ledger;
  for (const store::LedgerRow& row : sink.ledger) ledger[row.key] = &row;
  std::set<WalletLevel> rows;
  for (const store::MembershipRow& m : sink.membership) rows.insert({m.wallet, m.level});

  std::set<WalletLevel> held;
  std::map<eth::Address, std::int64_t> done_max, held_max, foreign_max;
  std::map<eth::Address, const Claim*> top_done;  // the done claim of the highest level
  for (const Claim& c : p.in.store_claims) {
    if (sink_may_hold_claim(c.state)) {
      held.insert({c.wallet, c.level});
      held_max[c.wallet] = std::max<std::int64_t>(held_max[c.wallet], c.level);
    }
    auto lr = ledger.find(c.key);
    const bool ledger_done = lr != ledger.end() && lr->second->status == "done";
    if (c.state == ClaimState::kDone) {
      done_max[c.wallet] = std::max<std::int64_t>(done_max[c.wallet], c.level);
      const Claim*& top = top_done[c.wallet];
      if (top == nullptr || c.level > top->level) top = &c;
      if (!ledger_done || !rows.count({c.wallet, c.level})) p.add(p.plan.reapply, c);
    } else if (ledger_done && c.state == ClaimState::kDead) {
      p.leave(c, "dead claim with a done ledger row: claimsync claims retry");
    } else if (ledger_done &&
               (c.state == ClaimState::kOrphaned || c.state == ClaimState::kRevoked)) {
      if (!p.on_chain.count(c.key)) p.add(p.plan.revoke, c);
    }
  }
  for (const store::LedgerRow& row : sink.ledger) {
    if (p.stored.count(row.key) || p.on_chain.count(row.key) || p.planned.count(row.key)) continue;
    Claim c;
    c.key = row.key;
    c.wallet = row.wallet;
    c.level = row.level;
    if (p.proven_not_mint(row.key)) {
      p.add(p.plan.revoke, c);
    } else {
      p.leave(c, "ledger row without a claim, not disproved (a mint above the pin?)");
    }
  }
  for (const store::MembershipRow& m : sink.membership) {
    if (!m.claim_key || m.claim_key->chain_id != p.in.chain_id) {
      foreign_max[m.wallet] = std::max<std::int64_t>(foreign_max[m.wallet], m.level);
      continue;  // not claimsync's: never touched
    }
    if (held.count({m.wallet, m.level}) || p.planned.count(*m.claim_key)) continue;
    const ClaimKey& key = *m.claim_key;
    auto s = p.stored.find(key);
    if (!ledger.count(key)) {
      p.plan.left.push_back(left_sample(m.wallet, m.level, &key,
                                        "claim key without a ledger row: not proven claimsync's"));
    } else if (s == p.stored.end()) {
      continue;  // its ledger row was decided above (revoked, ingested or left)
    } else if (s->second->state == ClaimState::kOrphaned ||
               s->second->state == ClaimState::kRevoked) {
      if (!p.on_chain.count(key)) p.add(p.plan.revoke, *s->second);
    } else {
      p.plan.left.push_back(
          left_sample(m.wallet, m.level, &key,
                      std::string("claim is store:") + store::claim_state_name(s->second->state)));
    }
  }
  std::map<eth::Address, std::int64_t> current;
  for (const store::MemberRow& m : sink.members) current[m.wallet] = m.current_level;
  for (const auto& [wallet, lowest] : done_max) {
    const std::int64_t highest = std::max(held_max[wallet], foreign_max[wallet]);
    auto it = current.find(wallet);
    if (it != current.end() && it->second >= lowest && it->second <= highest) continue;
    // Revoking and applying the highest done claim again recomputes members from the rows.
    p.add(p.plan.reapply, *top_done[wallet]);
  }
}

}  // namespace

RepairPlan plan_repair(const ReconcileInputs& in,
                       const std::function<bool(const store::ClaimKey&)>& proven_not_mint) {
  RepairPlan plan;
  Planner p{in, plan, {}, {}, {}, {}};
  p.proven_not_mint = proven_not_mint;
  for (const Claim& c : in.store_claims) p.stored[c.key] = &c;
  for (const Claim& m : *in.chain_claims) p.on_chain.insert(m.key);
  std::uint64_t up_to_pin = 0;
  for (const Claim& c : in.store_claims) up_to_pin += c.block_number <= *in.pin ? 1 : 0;
  plan.compared = std::max<std::uint64_t>(up_to_pin, in.chain_claims->size());
  outbox_vs_chain(p);
  sink_vs_outbox(p);
  return plan;
}

bool repair_within_threshold(std::uint64_t differences, std::uint64_t compared,
                             double max_fraction) {
  const double base = static_cast<double>(std::max<std::uint64_t>(compared, 1));
  return static_cast<double>(differences) <= max_fraction * base;
}

}  // namespace claimsync::node

#include "node/reconcile/reconcile_compare.hpp"

#include <algorithm>
#include <set>

namespace claimsync::node {
namespace {

using store::Claim;
using store::ClaimKey;
using store::ClaimState;
using C = ReconcileClass;

bool is_live(ClaimState s) { return claim_is_live(s); }
bool sink_may_hold(ClaimState s) { return sink_may_hold_claim(s); }
bool in_ranges(const std::vector<store::BlockRange>& ranges, std::uint64_t block) {
  return block_in_ranges(ranges, block);
}

ReconcileSample claim_sample(const Claim& c, std::string chain_value, std::string db_value) {
  return {c.wallet.lower_hex(), c.level,           std::move(chain_value),
          std::move(db_value),  c.key.to_string(), c.block_number};
}

std::string state_of(const Claim& c) {
  return std::string("store:") + store::claim_state_name(c.state);
}

void outbox_vs_chain(const ReconcileInputs& in, const std::map<ClaimKey, const Claim*>& stored,
                     ReconcileReport& r) {
  std::set<ClaimKey> on_chain;
  for (const Claim& m : *in.chain_claims) {
    on_chain.insert(m.key);
    auto it = stored.find(m.key);
    if (it != stored.end() && is_live(it->second->state)) continue;
    const std::string db = it == stored.end() ? "absent" : state_of(*it->second);
    r.add(in_ranges(in.scanned, m.block_number) ? C::kMissingInStore : C::kUnscanned,
          claim_sample(m, "mint", db));
  }
  for (const Claim& c : in.store_claims) {
    if (c.block_number > *in.pin || !is_live(c.state) || on_chain.count(c.key)) continue;
    r.add(C::kExtraInStore, claim_sample(c, "no mint log", state_of(c)));
  }
}

void sink_vs_outbox(const ReconcileInputs& in, const std::map<ClaimKey, const Claim*>& stored,
                    ReconcileReport& r) {
  const store::SinkSnapshot& sink = *in.sink;
  std::map<ClaimKey, const store::LedgerRow*> ledger;
  for (const store::LedgerRow& row : sink.ledger) ledger[row.key] = &row;
  std::set<WalletLevel> rows;
  std::map<eth::Address, std::int64_t> foreign_max;  // rows of others: any level is theirs
  for (const store::MembershipRow& m : sink.membership) rows.insert({m.wallet, m.level});

  std::set<WalletLevel> held;  // (wallet, level) the sink may hold
  std::map<eth::Address, std::int64_t> done_max, held_max;
  for (const Claim& c : in.store_claims) {
    if (sink_may_hold(c.state)) {
      held.insert({c.wallet, c.level});
      held_max[c.wallet] = std::max<std::int64_t>(held_max[c.wallet], c.level);
    }
    auto lr = ledger.find(c.key);
    const std::string status = lr == ledger.end() ? "absent" : lr->second->status;
    if (c.state == ClaimState::kDone) {
      done_max[c.wallet] = std::max<std::int64_t>(done_max[c.wallet], c.level);
      if (lr == ledger.end()) {
        r.add(C::kLedgerMissing, claim_sample(c, state_of(c), status));
      } else if (status != "done") {
        r.add(C::kLedgerStatusMismatch, claim_sample(c, state_of(c), status));
      }
      if (!rows.count({c.wallet, c.level}))
        r.add(C::kMembershipMissing, claim_sample(c, state_of(c), "no membership row"));
    } else if (status == "done" &&
               (c.state == ClaimState::kDead || c.state == ClaimState::kOrphaned ||
                c.state == ClaimState::kRevoked)) {
      r.add(C::kLedgerStatusMismatch, claim_sample(c, state_of(c), status));
    }
  }
  for (const store::LedgerRow& row : sink.ledger) {
    if (stored.count(row.key)) continue;
    r.add(C::kLedgerWithoutClaim,
          {row.wallet.lower_hex(), row.level, "store:absent", row.status, row.key.to_string(), {}});
  }
  for (const store::MembershipRow& m : sink.membership) {
    const std::string key = m.claim_key ? m.claim_key->to_string() : "";
    if (!m.claim_key || m.claim_key->chain_id != in.chain_id) {
      foreign_max[m.wallet] = std::max<std::int64_t>(foreign_max[m.wallet], m.level);
      if (!m.claim_key)
        r.add(C::kMembershipForeign, {m.wallet.lower_hex(), m.level, "", "row", key, {}});
      continue;
    }
    if (held.count({m.wallet, m.level})) continue;
    r.add(C::kMembershipWithoutClaim,
          {m.wallet.lower_hex(), m.level, "store:no live claim", "row", key, {}});
  }
  std::map<eth::Address, std::int64_t> current;
  for (const store::MemberRow& m : sink.members) current[m.wallet] = m.current_level;
  for (const auto& [wallet, lowest] : done_max) {
    const std::int64_t highest = std::max(held_max[wallet], foreign_max[wallet]);
    auto it = current.find(wallet);
    if (it != current.end() && it->second >= lowest && it->second <= highest) continue;
    const std::string db = it == current.end() ? "no members row" : std::to_string(it->second);
    r.add(C::kCurrentLevelWrong, {wallet.lower_hex(),
                                  static_cast<std::uint32_t>(lowest),
                                  "store:" + std::to_string(lowest),
                                  db,
                                  "",
                                  {}});
  }
}

void balances(const ReconcileInputs& in, ReconcileReport& r) {
  std::map<WalletLevel, const Claim*> member;  // the earliest live claim up to the pin
  for (const Claim& c : in.store_claims) {
    if (!is_live(c.state) || (in.pin && c.block_number > *in.pin)) continue;
    auto [it, fresh] = member.try_emplace({c.wallet, c.level}, &c);
    if (!fresh && c.block_number < it->second->block_number) it->second = &c;
  }
  for (const auto& [pair, balance] : *in.balances) {
    const bool holds = balance != eth::U256();
    auto m = member.find(pair);
    if (m == member.end()) {
      if (holds) {
        r.add(C::kHolderWithoutClaim,
              {pair.first.lower_hex(), pair.second, balance.to_decimal(), "no claim", "", in.pin});
      }
      continue;
    }
    r.add(holds ? C::kMemberHolder : C::kMemberNotHolding,
          claim_sample(*m->second, balance.to_decimal(), state_of(*m->second)));
  }
}

}  // namespace

bool claim_is_live(ClaimState s) {
  return s == ClaimState::kPending || s == ClaimState::kRetrying || s == ClaimState::kDone ||
         s == ClaimState::kDead;
}

bool sink_may_hold_claim(ClaimState s) {
  return s == ClaimState::kPending || s == ClaimState::kRetrying || s == ClaimState::kDone ||
         s == ClaimState::kRevoking;
}

bool block_in_ranges(const std::vector<store::BlockRange>& ranges, std::uint64_t block) {
  auto it =
      std::upper_bound(ranges.begin(), ranges.end(), block,
                       [](std::uint64_t b, const store::BlockRange& r) { return b < r.from; });
  return it != ranges.begin() && std::prev(it)->to >= block;
}

void reconcile_compare(const ReconcileInputs& in, ReconcileReport& report) {
  std::map<ClaimKey, const Claim*> stored;
  for (const Claim& c : in.store_claims) stored[c.key] = &c;
  if (in.pin) {
    for (const Claim& c : in.store_claims) {
      if (c.block_number > *in.pin) report.add(C::kNewerThanPin, claim_sample(c, "", state_of(c)));
    }
  }
  if (in.pin && in.chain_claims) outbox_vs_chain(in, stored, report);
  if (in.sink) sink_vs_outbox(in, stored, report);
  if (in.balances) balances(in, report);
}

std::vector<eth::Address> known_wallets(const std::vector<store::Claim>& claims,
                                        const std::optional<store::SinkSnapshot>& sink) {
  std::set<eth::Address> wallets;
  for (const Claim& c : claims) wallets.insert(c.wallet);
  if (sink) {
    for (const auto& row : sink->ledger) wallets.insert(row.wallet);
    for (const auto& row : sink->membership) wallets.insert(row.wallet);
    for (const auto& row : sink->members) wallets.insert(row.wallet);
  }
  return {wallets.begin(), wallets.end()};
}

}  // namespace claimsync::node

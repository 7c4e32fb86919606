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

using Finding = ReconcileFinding;
constexpr std::size_t kNone = Finding::kNone;
using StoredIndex = std::map<ClaimKey, std::size_t>;  // key -> in.store_claims index

void outbox_vs_chain(const ReconcileInputs& in, const StoredIndex& stored,
                     std::vector<Finding>& out) {
  std::set<ClaimKey> on_chain;
  for (std::size_t i = 0; i < in.chain_claims->size(); ++i) {
    const Claim& m = (*in.chain_claims)[i];
    on_chain.insert(m.key);
    auto it = stored.find(m.key);
    if (it != stored.end() && is_live(in.store_claims[it->second].state)) continue;
    Finding f;
    f.cls = in_ranges(in.scanned, m.block_number) ? C::kMissingInStore : C::kUnscanned;
    f.mint = i;
    f.claim = it == stored.end() ? kNone : it->second;
    out.push_back(f);
  }
  for (std::size_t i = 0; i < in.store_claims.size(); ++i) {
    const Claim& c = in.store_claims[i];
    if (c.block_number > *in.pin || !is_live(c.state) || on_chain.count(c.key)) continue;
    out.push_back({C::kExtraInStore, kNone, i, kNone, kNone, {}});
  }
}

void sink_vs_outbox(const ReconcileInputs& in, const StoredIndex& stored,
                    std::vector<Finding>& out) {
  const store::SinkSnapshot& sink = *in.sink;
  std::map<ClaimKey, std::size_t> ledger;  // key -> sink.ledger index
  for (std::size_t i = 0; i < sink.ledger.size(); ++i) ledger[sink.ledger[i].key] = i;
  std::set<WalletLevel> rows;
  std::map<eth::Address, std::int64_t> foreign_max;  // rows of others: any level is theirs
  for (const store::MembershipRow& m : sink.membership) rows.insert({m.wallet, m.level});

  std::set<WalletLevel> held;  // (wallet, level) the sink may hold
  std::map<eth::Address, std::int64_t> held_max;
  std::map<eth::Address, std::size_t> top_done;  // the first done claim of the highest level
  for (std::size_t i = 0; i < in.store_claims.size(); ++i) {
    const Claim& c = in.store_claims[i];
    if (sink_may_hold(c.state)) {
      held.insert({c.wallet, c.level});
      held_max[c.wallet] = std::max<std::int64_t>(held_max[c.wallet], c.level);
    }
    auto lr = ledger.find(c.key);
    const bool ledger_done = lr != ledger.end() && sink.ledger[lr->second].status == "done";
    const std::size_t row_index = lr == ledger.end() ? kNone : lr->second;
    if (c.state == ClaimState::kDone) {
      auto [top, fresh] = top_done.try_emplace(c.wallet, i);
      if (!fresh && c.level > in.store_claims[top->second].level) top->second = i;
      if (lr == ledger.end()) {
        out.push_back({C::kLedgerMissing, kNone, i, kNone, kNone, {}});
      } else if (!ledger_done) {
        out.push_back({C::kLedgerStatusMismatch, kNone, i, row_index, kNone, {}});
      }
      if (!rows.count({c.wallet, c.level}))
        out.push_back({C::kMembershipMissing, kNone, i, kNone, kNone, {}});
    } else if (ledger_done && (c.state == ClaimState::kDead || c.state == ClaimState::kOrphaned ||
                               c.state == ClaimState::kRevoked)) {
      out.push_back({C::kLedgerStatusMismatch, kNone, i, row_index, kNone, {}});
    }
  }
  for (std::size_t i = 0; i < sink.ledger.size(); ++i) {
    if (stored.count(sink.ledger[i].key)) continue;
    out.push_back({C::kLedgerWithoutClaim, kNone, kNone, i, kNone, {}});
  }
  for (std::size_t i = 0; i < sink.membership.size(); ++i) {
    const store::MembershipRow& m = sink.membership[i];
    if (!m.claim_key || m.claim_key->chain_id != in.chain_id) {
      foreign_max[m.wallet] = std::max<std::int64_t>(foreign_max[m.wallet], m.level);
      if (!m.claim_key) out.push_back({C::kMembershipForeign, kNone, kNone, kNone, i, {}});
      continue;
    }
    if (held.count({m.wallet, m.level})) continue;
    auto s = stored.find(*m.claim_key);
    auto lr = ledger.find(*m.claim_key);
    out.push_back({C::kMembershipWithoutClaim,
                   kNone,
                   s == stored.end() ? kNone : s->second,
                   lr == ledger.end() ? kNone : lr->second,
                   i,
                   {}});
  }
  std::map<eth::Address, std::int64_t> current;
  for (const store::MemberRow& m : sink.members) current[m.wallet] = m.current_level;
  for (const auto& [wallet, top] : top_done) {
    const std::int64_t lowest = in.store_claims[top].level;  // the highest done level
    const std::int64_t highest = std::max(held_max[wallet], foreign_max[wallet]);
    auto it = current.find(wallet);
    if (it != current.end() && it->second >= lowest && it->second <= highest) continue;
    Finding f{C::kCurrentLevelWrong, kNone, top, kNone, kNone, {}};
    if (it != current.end()) f.current_level = it->second;
    out.push_back(f);
  }
}

// The report's sample of finding `f` (what the chain / the store or sink says).
ReconcileSample sample_of(const ReconcileInputs& in, const Finding& f) {
  switch (f.cls) {
    case C::kMissingInStore:
    case C::kUnscanned:
      return claim_sample((*in.chain_claims)[f.mint], "mint",
                          f.claim == kNone ? "absent" : state_of(in.store_claims[f.claim]));
    case C::kExtraInStore:
      return claim_sample(in.store_claims[f.claim], "no mint log",
                          state_of(in.store_claims[f.claim]));
    case C::kNewerThanPin:
      return claim_sample(in.store_claims[f.claim], "", state_of(in.store_claims[f.claim]));
    case C::kLedgerMissing:
      return claim_sample(in.store_claims[f.claim], state_of(in.store_claims[f.claim]), "absent");
    case C::kLedgerStatusMismatch:
      return claim_sample(in.store_claims[f.claim], state_of(in.store_claims[f.claim]),
                          in.sink->ledger[f.ledger].status);
    case C::kMembershipMissing:
      return claim_sample(in.store_claims[f.claim], state_of(in.store_claims[f.claim]),
                          "no membership row");
    case C::kLedgerWithoutClaim: {
      const store::LedgerRow& row = in.sink->ledger[f.ledger];
      return {row.wallet.lower_hex(), row.level, "store:absent", row.status,
              row.key.to_string(),    {}};
    }
    case C::kMembershipForeign:
    case C::kMembershipWithoutClaim: {
      const store::MembershipRow& m = in.sink->membership[f.membership];
      const bool foreign = f.cls == C::kMembershipForeign;
      return {m.wallet.lower_hex(),
              m.level,
              foreign ? "" : "store:no live claim",
              "row",
              m.claim_key ? m.claim_key->to_string() : "",
              {}};
    }
    case C::kCurrentLevelWrong: {
      const Claim& top = in.store_claims[f.claim];
      return {top.wallet.lower_hex(),
              top.level,
              "store:" + std::to_string(top.level),
              f.current_level ? std::to_string(*f.current_level) : "no members row",
              "",
              {}};
    }
    default: return {};  // the balance classes are not findings of these rules
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

std::vector<ReconcileFinding> reconcile_findings(const ReconcileInputs& in) {
  std::vector<Finding> out;
  StoredIndex stored;
  for (std::size_t i = 0; i < in.store_claims.size(); ++i) stored[in.store_claims[i].key] = i;
  if (in.pin) {
    for (std::size_t i = 0; i < in.store_claims.size(); ++i) {
      if (in.store_claims[i].block_number > *in.pin)
        out.push_back({C::kNewerThanPin, kNone, i, kNone, kNone, {}});
    }
  }
  if (in.pin && in.chain_claims) outbox_vs_chain(in, stored, out);
  if (in.sink) sink_vs_outbox(in, stored, out);
  return out;
}

void reconcile_compare(const ReconcileInputs& in, ReconcileReport& report) {
  for (const Finding& f : reconcile_findings(in)) {
    // Beyond the sample bound only the count matters: no sample text is made.
    const bool sampled = report.of(f.cls).samples.size() < report.sample_limit;
    report.add(f.cls, sampled ? sample_of(in, f) : ReconcileSample{});
  }
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

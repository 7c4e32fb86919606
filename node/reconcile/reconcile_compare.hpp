// reconcile_compare: the reconciler's comparison as a pure function (issue 14). The
// store's claims, the sink's rows, the chain's mints and balances go in; the findings
// (reconcile_findings: which row differs, by class) and, made from them, the report's
// counts and samples come out. The repair plan maps the same findings to actions, so the
// rules below are written here only. No I/O, no clock: unit-tested with plain values.
//
// The rules (DESIGN §1, §5, §7):
//   outbox vs chain (when the chain was swept up to the pin):
//     missing_in_store   a mint on chain, in a block the store has scanned, whose key the
//                        store lacks or holds off the chain (orphaned, revoking, revoked)
//     unscanned (info)   the same, in a block the store has not scanned yet
//     extra_in_store     a claim up to the pin in a live state (pending, retrying, done,
//                        dead) that the chain's mint logs do not hold
//     newer_than_pin     (info) a store claim above the pin: not compared
//   sink vs outbox (when the sink was read):
//     ledger_missing / membership_missing: a done claim without its ledger row / without a
//       membership row of its (wallet, level) (whoever made that row)
//     ledger_status_mismatch: done but the ledger says otherwise, or the ledger says done
//       while the claim is dead, orphaned or revoked (pending / retrying / revoking with a
//       done row is a replication in flight: rule 1 of §5, not a difference)
//     ledger_without_claim: a ledger row of this chain the store has no claim for
//     membership_without_claim: a row claimsync made (claim_key of this chain) whose
//       (wallet, level) has no claim the sink may hold (pending, retrying, done, revoking)
//     membership_foreign (info): a row with no claim_key: not claimsync's, never judged
//     current_level_wrong: a wallet with done claims whose members row is absent, below
//       its highest done level, or above every level its claims and foreign rows allow
//   balances (info, for the (wallet, level) pairs read): member_holder,
//     member_not_holding (burned or sold: still a member), holder_without_claim
//     (received by transfer). "Member" = a live claim up to the pin.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "node/reconcile/reconcile_report.hpp"
#include "rpc/address.hpp"
#include "rpc/uint256.hpp"
#include "storage/claim.hpp"
#include "storage/node_store.hpp"
#include "storage/sink_snapshot.hpp"

namespace claimsync::node {

using WalletLevel = std::pair<eth::Address, std::uint32_t>;
using BalanceTable = std::map<WalletLevel, eth::U256>;

struct ReconcileInputs {
  std::uint64_t chain_id = 0;
  std::vector<store::Claim> store_claims;  // every claim of the store, any state
  std::vector<store::BlockRange> scanned;  // the store's scanned ranges, ascending
  std::optional<std::uint64_t> pin;        // the pinned block; nullopt: the chain was not read
  // Mints of the chain in [start_block, pin]; nullopt: the sweep did not complete.
  std::optional<std::vector<store::Claim>> chain_claims;
  std::optional<store::SinkSnapshot> sink;  // nullopt: the sink could not be read
  std::optional<BalanceTable> balances;     // the pairs read at the pin; nullopt: none
};

// One finding of the outbox-vs-chain and sink-vs-outbox rules (and newer_than_pin), by
// position in the inputs it was compared from: no row is copied. kNone: not applicable.
struct ReconcileFinding {
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  ReconcileClass cls = ReconcileClass::kMissingInStore;
  // in.chain_claims: missing_in_store, unscanned.
  std::size_t mint = kNone;
  // in.store_claims: the claim it is about (extra_in_store, newer_than_pin, ledger_missing,
  // ledger_status_mismatch, membership_missing; current_level_wrong: the wallet's first done
  // claim of its highest done level); for missing_in_store / unscanned and
  // membership_without_claim: the store's claim of that key, if any.
  std::size_t claim = kNone;
  // in.sink->ledger: ledger_status_mismatch, ledger_without_claim; for
  // membership_without_claim: the ledger row of its claim key, if any.
  std::size_t ledger = kNone;
  // in.sink->membership: membership_without_claim, membership_foreign.
  std::size_t membership = kNone;
  // current_level_wrong: the wallet's members.current_level; nullopt: no members row.
  std::optional<std::int64_t> current_level;
};

// Every finding of those rules, in the order the rules meet them (the chain's mints, then
// the store's claims, the ledger rows, the membership rows, the wallets by address): the
// one place that decides what differs; the report (reconcile_compare) and the repair plan
// (plan_repair) are both made from it. Sets absent from `in` give no findings of their
// classes. Holds one entry per finding (bounded by the rows compared), no samples.
std::vector<ReconcileFinding> reconcile_findings(const ReconcileInputs& in);

// Adds every finding to `report` (counts and samples, bounded by report.sample_limit):
// reconcile_findings plus the balance classes. Classes whose inputs are absent are left
// at 0 (the caller records why in partial_reasons).
void reconcile_compare(const ReconcileInputs& in, ReconcileReport& report);

// The rules' two predicates: on chain as far as the store knows (pending, retrying, done,
// dead; reconcile_run keeps the zero balances of those); the sink may hold its rows
// (pending, retrying, done, revoking).
bool claim_is_live(store::ClaimState s);
bool sink_may_hold_claim(store::ClaimState s);
// `block` lies in one of `ranges` (ascending, merged).
bool block_in_ranges(const std::vector<store::BlockRange>& ranges, std::uint64_t block);

// Every wallet the store or the sink knows (claims, ledger, membership, members), sorted,
// unique: the wallets whose balances the reconciler reads.
std::vector<eth::Address> known_wallets(const std::vector<store::Claim>& claims,
                                        const std::optional<store::SinkSnapshot>& sink);

}  // namespace claimsync::node

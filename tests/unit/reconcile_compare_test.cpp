// reconcile_compare (node/reconcile/reconcile_compare.hpp): each class from plain inputs,
// counts, the sample bound, and the holder classes staying information. Plus the adaptive
// balanceOfBatch sweep against a scripted chain that fails large calls.
#include <catch2/catch.hpp>

#include "node/reconcile/balance_sweep.hpp"
#include "node/reconcile/reconcile_compare.hpp"
#include "tests/support/claim_fixtures.hpp"
#include "tests/support/reconcile_inputs.hpp"

namespace claimsync::node {
namespace {

using store::Claim;
using store::ClaimState;
using C = ReconcileClass;

Claim claim(std::uint8_t tx, std::uint64_t wallet, std::uint32_t level, std::uint64_t block,
            ClaimState state = ClaimState::kDone) {
  return testing::reconcile_claim(tx, wallet, level, block, state);
}

store::LedgerRow ledger(const Claim& c, std::string status = "done") {
  return {c.key, std::move(status), c.wallet, c.level};
}
store::MembershipRow row(const Claim& c) { return {c.wallet, c.level, c.key}; }

ReconcileInputs consistent() { return testing::consistent_reconcile_inputs(); }

// Sample i of class c (REQUIREs it exists, so a broken comparison fails, not crashes).
ReconcileSample nth(const ReconcileReport& r, C c, std::size_t i) {
  REQUIRE(r.of(c).samples.size() > i);
  return r.of(c).samples[i];
}
ReconcileSample first(const ReconcileReport& r, C c) { return nth(r, c, 0); }

ReconcileReport run(const ReconcileInputs& in, std::size_t samples = 10) {
  ReconcileReport r;
  r.sample_limit = samples;
  reconcile_compare(in, r);
  return r;
}

}  // namespace

TEST_CASE("reconcile compare: consistent inputs give no difference", "[reconcile]") {
  ReconcileReport r = run(consistent());
  CHECK(r.differences() == 0);
  CHECK(r.exit_code() == 0);
  for (int i = 0; i < kReconcileClassCount; ++i) CHECK(r.classes[i].count == 0);
}

TEST_CASE("reconcile compare: outbox vs chain", "[reconcile]") {
  ReconcileInputs in = consistent();
  const Claim lost = claim(9, 3, 2, 40);                           // on chain, store lacks it
  const Claim late = claim(10, 3, 4, 150);                         // on chain above the scan
  const Claim forged = claim(11, 4, 1, 50, ClaimState::kPending);  // store only
  const Claim newer = claim(12, 4, 2, 130, ClaimState::kPending);  // above the pin
  in.scanned = {{0, 60}};
  in.pin = 200;
  in.chain_claims->push_back(lost);
  in.chain_claims->push_back(late);
  in.store_claims.push_back(forged);
  in.store_claims.push_back(claim(13, 5, 1, 55, ClaimState::kOrphaned));  // off chain: fine
  Claim orphaned_but_real = claim(14, 5, 2, 56, ClaimState::kOrphaned);
  in.store_claims.push_back(orphaned_but_real);
  in.chain_claims->push_back(orphaned_but_real);
  in.pin = 120;
  in.chain_claims->erase(in.chain_claims->begin() + 4);  // `late` is above pin 120: not swept
  in.store_claims.push_back(newer);
  ReconcileReport r = run(in);
  CHECK(r.of(C::kMissingInStore).count == 2);  // lost + the orphaned one the chain holds
  CHECK(nth(r, C::kMissingInStore, 0).claim_key == lost.key.to_string());
  CHECK(nth(r, C::kMissingInStore, 0).db_value == "absent");
  CHECK(nth(r, C::kMissingInStore, 1).db_value == "store:orphaned");
  CHECK(r.of(C::kExtraInStore).count == 1);
  CHECK(nth(r, C::kExtraInStore, 0).claim_key == forged.key.to_string());
  CHECK(r.of(C::kNewerThanPin).count == 1);
  CHECK(r.of(C::kUnscanned).count == 0);
  in.chain_claims->push_back(claim(15, 6, 1, 90));  // a mint in 61..120: not scanned yet
  CHECK(run(in).of(C::kUnscanned).count == 1);
  CHECK(run(in).exit_code() == 1);
}

TEST_CASE("reconcile compare: sink vs outbox", "[reconcile]") {
  ReconcileInputs in = consistent();
  store::SinkSnapshot& s = *in.sink;
  SECTION("a done claim without its membership row, and members too low") {
    s.membership.erase(s.membership.begin() + 1);  // wallet 1 level 3
    s.members[0].current_level = 1;
    ReconcileReport r = run(in);
    CHECK(r.of(C::kMembershipMissing).count == 1);
    CHECK(nth(r, C::kMembershipMissing, 0).level == 3);
    CHECK(r.of(C::kCurrentLevelWrong).count == 1);
    CHECK(nth(r, C::kCurrentLevelWrong, 0).db_value == "1");
    CHECK(r.differences() == 2);
  }
  SECTION("a membership row claimsync made without a live claim; a foreign row") {
    s.membership.push_back(row(claim(20, 7, 5, 60)));  // key of our chain, no such claim
    s.membership.push_back({testing::fixture_wallet(8), 2, std::nullopt});
    Claim other_chain = claim(21, 9, 2, 60);
    other_chain.key.chain_id = 1;
    s.membership.push_back(row(other_chain));
    ReconcileReport r = run(in);
    CHECK(r.of(C::kMembershipWithoutClaim).count == 1);
    CHECK(r.of(C::kMembershipForeign).count == 1);
    CHECK(r.differences() == 1);
  }
  SECTION("ledger rows: missing, wrong status, without claim") {
    s.ledger.erase(s.ledger.begin());
    s.ledger[0].status = "pending";
    s.ledger.push_back(ledger(claim(30, 1, 2, 70)));
    ReconcileReport r = run(in);
    CHECK(r.of(C::kLedgerMissing).count == 1);
    CHECK(r.of(C::kLedgerStatusMismatch).count == 1);
    CHECK(nth(r, C::kLedgerStatusMismatch, 0).db_value == "pending");
    CHECK(r.of(C::kLedgerWithoutClaim).count == 1);
  }
  SECTION("replication in flight is not a difference") {
    // pending in the store, done in the sink (the sink commits first); revoking with rows.
    in.store_claims[1].state = ClaimState::kPending;
    in.store_claims[2].state = ClaimState::kRevoking;
    in.chain_claims.reset();  // (vs the chain a revoking claim the chain holds is missing)
    s.members[0].current_level = 3;
    ReconcileReport r = run(in);
    INFO(r.to_text());
    CHECK(r.differences() == 0);
    in.store_claims[2].state = ClaimState::kRevoked;  // revoked but the ledger says done
    CHECK(run(in).of(C::kLedgerStatusMismatch).count == 1);
    CHECK(run(in).of(C::kMembershipWithoutClaim).count == 1);
  }
  SECTION("current_level above every claim, unless a foreign row explains it") {
    s.members[1].current_level = 4;
    CHECK(run(in).of(C::kCurrentLevelWrong).count == 1);
    s.membership.push_back({testing::fixture_wallet(2), 4, std::nullopt});
    CHECK(run(in).of(C::kCurrentLevelWrong).count == 0);
    s.members.pop_back();
    CHECK(first(run(in), C::kCurrentLevelWrong).db_value == "no members row");
  }
}

TEST_CASE("reconcile compare: balances are information", "[reconcile]") {
  ReconcileInputs in = consistent();
  BalanceTable b;
  b[{testing::fixture_wallet(1), 1}] = 1;  // member and holder
  b[{testing::fixture_wallet(1), 3}] = 0;  // burned or sold
  b[{testing::fixture_wallet(2), 2}] = 5;  // received by transfer
  b[{testing::fixture_wallet(2), 4}] = 0;  // nothing
  in.balances = b;
  ReconcileReport r = run(in);
  CHECK(r.of(C::kMemberHolder).count == 1);
  CHECK(r.of(C::kMemberNotHolding).count == 1);
  CHECK(r.of(C::kHolderWithoutClaim).count == 1);
  CHECK(nth(r, C::kHolderWithoutClaim, 0).chain_value == "5");
  CHECK(r.differences() == 0);
  CHECK(r.exit_code() == 0);
}

TEST_CASE("reconcile compare: samples are bounded, counts are not", "[reconcile]") {
  ReconcileInputs in = consistent();
  for (std::uint8_t i = 0; i < 25; ++i) in.chain_claims->push_back(claim(100 + i, 50 + i, 1, 5));
  ReconcileReport r = run(in, 3);
  CHECK(r.of(C::kMissingInStore).count == 25);
  CHECK(r.of(C::kMissingInStore).samples.size() == 3);
  const nlohmann::json j = r.to_json();
  CHECK(j["differences"]["missing_in_store"]["count"] == 25);
  CHECK(j["differences"]["missing_in_store"]["samples"].size() == 3);
  CHECK(j["result"] == "differences");
  r.partial_reasons.push_back("sink: down");
  CHECK(r.exit_code() == 2);
  CHECK(r.to_json()["status"] == "partial");
  CHECK(r.to_text().find("missing_in_store: 25") != std::string::npos);
}

TEST_CASE("reconcile compare: known wallets are the union, sorted and unique", "[reconcile]") {
  ReconcileInputs in = consistent();
  in.sink->members.push_back({testing::fixture_wallet(9), 1});
  const auto w = known_wallets(in.store_claims, in.sink);
  REQUIRE(w.size() == 3);
  CHECK(w[0] == testing::fixture_wallet(1));
  CHECK(w[2] == testing::fixture_wallet(9));
}

namespace {

// balanceOfBatch that fails calls above `max_pairs`, answering balance = level otherwise
// (0 for levels above `zero_above`).
class ScriptedBalances final : public eth::ChainSource {
 public:
  std::size_t max_pairs = SIZE_MAX;
  std::uint32_t zero_above = UINT32_MAX;
  std::vector<std::size_t> sizes;  // every call's size
  Result<std::uint64_t> chain_id() override { return testing::kReconcileChain; }
  Result<eth::BlockHeader> header(eth::BlockRef) override { return eth::BlockHeader{}; }
  Result<std::vector<eth::BlockHeader>> headers(const std::vector<std::uint64_t>&) override {
    return std::vector<eth::BlockHeader>{};
  }
  Result<std::vector<eth::LogEntry>> logs(const eth::LogFilter&) override {
    return std::vector<eth::LogEntry>{};
  }
  Result<std::optional<eth::Receipt>> receipt(const eth::Hash32&) override {
    return std::optional<eth::Receipt>{};
  }
  Result<std::vector<eth::U256>> balance_of_batch(const eth::Address&,
                                                  const std::vector<eth::Address>& owners,
                                                  const std::vector<eth::U256>& ids,
                                                  eth::BlockRef) override {
    sizes.push_back(owners.size());
    if (owners.size() > max_pairs) return error(ErrorCode::kTimeout, "execution aborted");
    std::vector<eth::U256> out = ids;
    for (eth::U256& b : out)
      if (b > eth::U256(zero_above)) b = eth::U256();
    return out;
  }
};

}  // namespace

TEST_CASE("balance sweep: halves on failure, grows back, bounded retries", "[reconcile]") {
  std::vector<eth::Address> wallets;
  for (std::uint64_t w = 0; w < 100; ++w) wallets.push_back(testing::fixture_wallet(w));
  const std::vector<std::uint32_t> levels = {1,  2,  3,  4,  5,  6,  7,  8,  9, 10,
                                             11, 12, 13, 14, 15, 16, 17, 18, 19};
  ScriptedBalances chain;
  SECTION("everything fits") {
    BalanceSweep b = sweep_balances(chain, {}, wallets, levels, 7);
    CHECK(b.failure.ok());
    CHECK(b.balances.size() == 1900);
    CHECK(b.calls == 2);
    CHECK(chain.sizes == std::vector<std::size_t>{950, 950});
    CHECK(b.balances.at({wallets[3], 17}) == eth::U256(17));
  }
  SECTION("the endpoint takes at most 300 pairs") {
    chain.max_pairs = 300;
    BalanceSweep b = sweep_balances(chain, {}, wallets, levels, 7);
    CHECK(b.failure.ok());
    CHECK(b.balances.size() == 1900);
    CHECK(b.retries >= 2);
    CHECK(b.retries <= 8);
    CHECK(chain.sizes[0] == 950);
    CHECK(chain.sizes[1] == 475);
    CHECK(chain.sizes[2] == 237);
    CHECK(b.smallest_batch <= 237);
  }
  SECTION("zero balances are kept only for the pairs asked for (the members)") {
    chain.zero_above = 10;  // levels 11..19 are 0 for everyone
    const std::set<WalletLevel> members = {{wallets[5], 12}, {wallets[6], 3}};
    BalanceSweepOptions o;
    o.zero_pairs_kept = &members;
    BalanceSweep b = sweep_balances(chain, {}, wallets, levels, 7, o);
    CHECK(b.failure.ok());
    CHECK(b.pairs_read == 1900);
    CHECK(b.balances.size() == 100 * 10 + 1);  // levels 1..10 hold, plus wallet 5's zero 12
    CHECK(b.balances.at({wallets[5], 12}) == eth::U256());
    CHECK(b.balances.at({wallets[6], 3}) == eth::U256(3));
    CHECK_FALSE(b.balances.count({wallets[6], 12}));
  }
  SECTION("an endpoint that fails every call gives up, partial") {
    chain.max_pairs = 0;
    BalanceSweep b = sweep_balances(chain, {}, wallets, levels, 7, {950, 4, 5});
    CHECK(!b.failure.ok());
    CHECK(b.calls == 6);
    CHECK(b.pairs_unread == 1900);
    CHECK(b.balances.empty());
  }
}

}  // namespace claimsync::node

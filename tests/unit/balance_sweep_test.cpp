// BalanceSweep with several calls in flight (issue 14): the same balances and the same
// classification for 1 and 4 calls in flight; a failed call is retried as its own two
// halves (the calls in flight beside it are not touched, no pair is read twice); a
// rate-limited call is retried whole with fewer calls in flight; the retries stay bounded.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "node/reconcile/balance_sweep.hpp"
#include "node/reconcile/reconcile_compare.hpp"
#include "node/reconcile/reconcile_report.hpp"
#include "tests/support/claim_fixtures.hpp"
#include "tests/support/reconcile_inputs.hpp"

using namespace claimsync;
using namespace claimsync::node;

namespace {

const std::vector<std::uint32_t> kLevels = {1,  2,  3,  4,  5,  6,  7,  8,  9, 10,
                                            11, 12, 13, 14, 15, 16, 17, 18, 19};

struct Call {
  std::size_t first = 0;  // pair position of the call's first pair
  std::size_t n = 0;
  bool ok = false;
};

// balanceOfBatch of wallets fixture_wallet(1..N) x kLevels: balance (w * 7 + level) % 3.
// Thread-safe. Records every call; `fail(first, n)` scripts failures; with `gate` > 1 the
// first calls wait (at most 5 s) until that many are in flight at once.
class ConcurrentBalances final : public eth::ChainSource {
 public:
  explicit ConcurrentBalances(std::size_t wallets) {
    for (std::size_t w = 1; w <= wallets; ++w) {
      index_[testing::fixture_wallet(w)] = w;
      list.push_back(testing::fixture_wallet(w));
    }
  }
  std::vector<eth::Address> list;
  std::size_t gate = 0;
  std::function<ErrorCode(std::size_t first, std::size_t n)> fail;  // kOk: answer

  std::vector<Call> calls() const {
    std::lock_guard<std::mutex> l(mu_);
    return calls_;
  }
  std::size_t max_in_flight() const {
    std::lock_guard<std::mutex> l(mu_);
    return max_in_flight_;
  }

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
    const std::size_t w = index_.at(owners.front());
    const std::size_t first = (w - 1) * kLevels.size() + (*ids.front().to_u64() - 1);
    {
      std::unique_lock<std::mutex> l(mu_);
      ++in_flight_;
      max_in_flight_ = std::max(max_in_flight_, in_flight_);
      cv_.notify_all();
      if (gate > 1) {
        cv_.wait_for(l, std::chrono::seconds(5), [&] { return max_in_flight_ >= gate; });
      }
    }
    const ErrorCode code = fail ? fail(first, owners.size()) : ErrorCode::kOk;
    std::vector<eth::U256> out;
    for (std::size_t i = 0; i < owners.size(); ++i) {
      out.emplace_back((index_.at(owners[i]) * 7 + *ids[i].to_u64()) % 3);
    }
    std::lock_guard<std::mutex> l(mu_);
    --in_flight_;
    calls_.push_back({first, owners.size(), code == ErrorCode::kOk});
    if (code != ErrorCode::kOk) return error(code, "scripted failure");
    return out;
  }

 private:
  std::map<eth::Address, std::size_t> index_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Call> calls_;        // GUARDED_BY(mu_)
  std::size_t in_flight_ = 0;      // GUARDED_BY(mu_)
  std::size_t max_in_flight_ = 0;  // GUARDED_BY(mu_)
};

BalanceSweepOptions with_concurrency(std::size_t c) {
  BalanceSweepOptions o;
  o.concurrency = c;
  return o;
}

// Every pair read by exactly one successful call.
bool each_pair_read_once(const std::vector<Call>& calls, std::size_t total) {
  std::vector<int> hits(total, 0);
  for (const Call& c : calls)
    if (c.ok)
      for (std::size_t i = c.first; i < c.first + c.n; ++i) ++hits.at(i);
  return std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; });
}

std::multiset<std::size_t> sizes(const std::vector<Call>& calls) {
  std::multiset<std::size_t> out;
  for (const Call& c : calls) out.insert(c.n);
  return out;
}

}  // namespace

TEST_CASE("balance sweep: 4 calls in flight give the balances and classes of 1", "[reconcile]") {
  ConcurrentBalances seq(200), par(200);
  par.gate = 4;
  std::size_t cap = GENERATE(SIZE_MAX, 300);  // an endpoint taking at most 300 pairs too
  INFO("largest call the endpoint takes: " << cap);
  auto capped = [cap](std::size_t, std::size_t n) {
    return n > cap ? ErrorCode::kTimeout : ErrorCode::kOk;
  };
  seq.fail = capped;
  par.fail = capped;
  BalanceSweepOptions o1 = with_concurrency(1), o4 = with_concurrency(4);
  o1.max_retries = o4.max_retries = 64;
  const BalanceSweep one = sweep_balances(seq, {}, seq.list, kLevels, 7, o1);
  const BalanceSweep four = sweep_balances(par, {}, par.list, kLevels, 7, o4);
  REQUIRE(one.failure.ok());
  REQUIRE(four.failure.ok());
  CHECK(seq.max_in_flight() == 1);
  CHECK(par.max_in_flight() == 4);
  CHECK(one.pairs_read == 3800);
  CHECK(four.pairs_read == 3800);
  CHECK(one.balances == four.balances);
  CHECK(each_pair_read_once(par.calls(), 3800));

  ReconcileInputs in = testing::consistent_reconcile_inputs();
  in.balances = one.balances;
  ReconcileReport r1;
  reconcile_compare(in, r1);
  in.balances = four.balances;
  ReconcileReport r4;
  reconcile_compare(in, r4);
  CHECK(r1.of(ReconcileClass::kHolderWithoutClaim).count > 0);
  CHECK(r1.to_json()["info"] == r4.to_json()["info"]);
  CHECK(r1.to_json()["differences"] == r4.to_json()["differences"]);
}

TEST_CASE("balance sweep: a failed call halves its own chunk only", "[reconcile]") {
  ConcurrentBalances chain(200);  // 3800 pairs: 4 calls of 950, all in flight at once
  chain.gate = 4;
  std::mutex fail_mu;
  bool failed = false;  // GUARDED_BY(fail_mu): the chunk at 950 failed once
  chain.fail = [&](std::size_t first, std::size_t n) {
    std::lock_guard<std::mutex> l(fail_mu);
    if (first != 950 || n != 950 || failed) return ErrorCode::kOk;
    failed = true;
    return ErrorCode::kTimeout;
  };
  const BalanceSweep b = sweep_balances(chain, {}, chain.list, kLevels, 7, with_concurrency(4));
  REQUIRE(b.failure.ok());
  CHECK(b.retries == 1);
  CHECK(b.calls == 6);
  CHECK(b.pairs_read == 3800);
  CHECK(b.pairs_unread == 0);
  // The three chunks in flight beside it were read whole, once; the failed one in halves.
  CHECK(sizes(chain.calls()) == std::multiset<std::size_t>{475, 475, 950, 950, 950, 950});
  CHECK(each_pair_read_once(chain.calls(), 3800));
  CHECK(b.smallest_batch == 475);
}

TEST_CASE("balance sweep: a rate-limited call is retried whole, fewer in flight", "[reconcile]") {
  ConcurrentBalances chain(400);  // 7600 pairs: 8 calls of 950
  std::mutex fail_mu;
  int limited = 0;
  chain.fail = [&](std::size_t first, std::size_t) {
    std::lock_guard<std::mutex> l(fail_mu);
    if (first == 0 && limited++ == 0) return ErrorCode::kRateLimited;
    return ErrorCode::kOk;
  };
  const BalanceSweep b = sweep_balances(chain, {}, chain.list, kLevels, 7, with_concurrency(4));
  REQUIRE(b.failure.ok());
  CHECK(b.retries == 1);
  CHECK(b.rate_limited == 1);
  CHECK(b.calls == 9);
  CHECK(sizes(chain.calls()) ==
        std::multiset<std::size_t>({950, 950, 950, 950, 950, 950, 950, 950, 950}));
  CHECK(each_pair_read_once(chain.calls(), 7600));
}

TEST_CASE("balance sweep: with every call failing, bounded retries, partial", "[reconcile]") {
  ConcurrentBalances chain(200);
  chain.fail = [](std::size_t, std::size_t) { return ErrorCode::kUnavailable; };
  BalanceSweepOptions o = with_concurrency(4);
  o.max_retries = 5;
  const BalanceSweep b = sweep_balances(chain, {}, chain.list, kLevels, 7, o);
  CHECK_FALSE(b.failure.ok());
  CHECK(b.pairs_read == 0);
  CHECK(b.pairs_unread == 3800);
  CHECK(b.retries >= 6);
  CHECK(b.calls <= 6 + 3);  // the calls in flight when the limit was reached finish
  SECTION("a cancelled call stops the sweep at once") {
    ConcurrentBalances stopped(200);
    stopped.fail = [](std::size_t, std::size_t) { return ErrorCode::kCancelled; };
    const BalanceSweep s = sweep_balances(stopped, {}, stopped.list, kLevels, 7, o);
    CHECK(s.failure.code() == ErrorCode::kCancelled);
    CHECK(s.calls <= 4);
  }
}

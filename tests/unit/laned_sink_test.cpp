// LanedSink (storage/laned_sink.hpp) over FakeSinks: how a call is split, where each
// kind of call goes, how results combine, and that lanes really run at the same time.
// The same sink over real Postgres connections runs the conformance suite in
// tests/integration/postgres_sink_test.cpp.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "storage/laned_sink.hpp"
#include "storage/pg_connection.hpp"
#include "tests/support/claim_fixtures.hpp"
#include "tests/support/fake_sink.hpp"

using namespace claimsync;
using claimsync::testing::claims_in_two_lanes;
using claimsync::testing::FakeSink;
using claimsync::testing::make_claims;

namespace {

// A lane the test keeps looking at: forwards to a FakeSink it does not own.
class Borrowed final : public store::MembershipSink {
 public:
  explicit Borrowed(store::MembershipSink& inner) : inner_(inner) {}
  Status ping() override { return inner_.ping(); }
  store::SinkResult apply(const std::vector<store::Claim>& c) override { return inner_.apply(c); }
  store::SinkResult revoke(const std::vector<store::Claim>& c) override { return inner_.revoke(c); }
  Status record(const std::vector<store::LedgerUpdate>& u) override { return inner_.record(u); }

 private:
  store::MembershipSink& inner_;
};

struct Rig {
  explicit Rig(std::size_t n, std::size_t min_split = 1) : fakes(n) {
    std::vector<std::unique_ptr<store::MembershipSink>> lanes;
    for (FakeSink& f : fakes) lanes.push_back(std::make_unique<Borrowed>(f));
    sink = std::make_unique<store::LanedSink>(std::move(lanes), min_split);
  }
  std::vector<FakeSink> fakes;
  std::unique_ptr<store::LanedSink> sink;
};

}  // namespace

TEST_CASE("LanedSink splits a large apply by wallet: each claim once, each wallet in one lane") {
  Rig rig(3);
  const auto claims = make_claims(600, /*wallets=*/90);
  store::SinkResult r = rig.sink->apply(claims);
  REQUIRE(r.status.ok());
  CHECK(r.rejected.empty());
  std::map<store::ClaimKey, int> commits;
  std::map<std::string, std::set<std::size_t>> lanes_of_wallet;
  for (std::size_t i = 0; i < rig.fakes.size(); ++i) {
    CHECK(rig.fakes[i].apply_calls() == 1);
    CHECK(rig.fakes[i].largest_call() > 0);  // 90 wallets reach every lane
    for (const auto& [key, n] : rig.fakes[i].apply_commits()) commits[key] += n;
    for (const auto& [wallet, level] : rig.fakes[i].memberships())
      lanes_of_wallet[wallet].insert(i);
  }
  CHECK(commits.size() == claims.size());
  for (const auto& [key, n] : commits) CHECK(n == 1);
  for (const auto& [wallet, lanes] : lanes_of_wallet) {
    INFO(wallet);
    CHECK(lanes.size() == 1);
    CHECK(*lanes.begin() ==
          store::LanedSink::lane_of(*eth::Address::parse(wallet), rig.fakes.size()));
  }
}

TEST_CASE("LanedSink sends small applies, revokes, records and pings to lane 0 whole") {
  Rig rig(2, /*min_split=*/256);
  const auto small = make_claims(255, 90);
  REQUIRE(rig.sink->apply(small).status.ok());
  CHECK(rig.fakes[0].apply_calls() == 1);
  CHECK(rig.fakes[0].largest_call() == 255);
  CHECK(rig.fakes[1].apply_calls() == 0);

  REQUIRE(rig.sink->revoke(make_claims(600, 90)).status.ok());
  CHECK(rig.fakes[0].revoke_calls() == 1);
  CHECK(rig.fakes[1].revoke_calls() == 0);
  std::vector<store::LedgerUpdate> updates;
  for (const store::Claim& c : make_claims(300, 90)) updates.push_back({c});
  REQUIRE(rig.sink->record(updates).ok());
  REQUIRE(rig.sink->ping().ok());
  CHECK(rig.fakes[0].record_calls() == 1);
  CHECK(rig.fakes[0].ping_calls() == 1);
  CHECK(rig.fakes[1].record_calls() == 0);
  CHECK(rig.fakes[1].ping_calls() == 0);

  REQUIRE(rig.sink->apply(make_claims(256, 90)).status.ok());  // the threshold splits
  CHECK(rig.fakes[1].apply_calls() == 1);
}

TEST_CASE("LanedSink: one lane's failure fails the call; rejections of all lanes are kept") {
  Rig rig(2);
  const auto claims = make_claims(400, 90);
  SECTION("a failing lane") {
    rig.fakes[1].fail_next_calls(1, ErrorCode::kTimeout);
    store::SinkResult r = rig.sink->apply(claims);
    CHECK(r.status.code() == ErrorCode::kTimeout);
    // Lane 0 committed: "outcome unknown" for the call, and the replay is harmless.
    CHECK_FALSE(rig.fakes[0].apply_commits().empty());
    CHECK(rig.fakes[1].apply_commits().empty());
    REQUIRE(rig.sink->apply(claims).status.ok());
    std::size_t committed = 0;
    for (FakeSink& f : rig.fakes) committed += f.apply_commits().size();
    CHECK(committed == claims.size());
  }
  SECTION("both failing: the first lane's status") {
    rig.fakes[0].fail_next_calls(1, ErrorCode::kFailedPrecondition);
    rig.fakes[1].fail_next_calls(1, ErrorCode::kUnavailable);
    CHECK(rig.sink->apply(claims).status.code() == ErrorCode::kFailedPrecondition);
  }
  SECTION("rejections") {
    const auto reject_level_2 = [](const store::Claim& c) -> std::optional<std::string> {
      if (c.level == 2) return std::string("level 2 refused");
      return std::nullopt;
    };
    for (FakeSink& f : rig.fakes) f.reject_when(reject_level_2);
    store::SinkResult r = rig.sink->apply(claims);
    REQUIRE(r.status.ok());
    std::size_t expected = 0;
    for (const store::Claim& c : claims) expected += c.level == 2 ? 1 : 0;
    REQUIRE(expected > 0);
    CHECK(r.rejected.size() == expected);
    for (const store::SinkRejection& rej : r.rejected) CHECK(rej.error == "level 2 refused");
  }
}

// A lane whose first apply the "server" rolls back as a deadlock, committing nothing.
class DeadlockOnce final : public store::MembershipSink {
 public:
  explicit DeadlockOnce(store::MembershipSink& inner) : inner_(inner) {}
  Status ping() override { return inner_.ping(); }
  store::SinkResult apply(const std::vector<store::Claim>& c) override {
    if (applies_++ == 0)
      return {error(ErrorCode::kUnavailable, "postgres: SQLSTATE 40P01: deadlock detected"), {}};
    return inner_.apply(c);
  }
  store::SinkResult revoke(const std::vector<store::Claim>& c) override { return inner_.revoke(c); }
  Status record(const std::vector<store::LedgerUpdate>& u) override { return inner_.record(u); }
  int applies_ = 0;

 private:
  store::MembershipSink& inner_;
};

TEST_CASE("LanedSink writes a lane's part again on lane 0 after a deadlock, not after an outage") {
  FakeSink lane0, lane1;
  auto* conflicted = new DeadlockOnce(lane1);
  std::vector<std::unique_ptr<store::MembershipSink>> lanes;
  lanes.push_back(std::make_unique<Borrowed>(lane0));
  lanes.push_back(std::unique_ptr<store::MembershipSink>(conflicted));
  store::LanedSink sink(std::move(lanes), 1);
  const auto claims = make_claims(400, 90);
  store::SinkResult r = sink.apply(claims);
  INFO(r.status.to_string());
  REQUIRE(r.status.ok());
  CHECK(conflicted->applies_ == 1);  // not retried on the lane that conflicted ...
  CHECK(lane0.apply_calls() == 2);   // ... but on lane 0: its own part, then lane 1's
  CHECK(lane0.apply_commits().size() == claims.size());
  CHECK(lane1.apply_calls() == 0);
  CHECK(store::is_conflict_rollback(
      error(ErrorCode::kUnavailable, "apply: postgres: SQLSTATE 40001: could not serialize")));
  CHECK_FALSE(store::is_conflict_rollback(
      error(ErrorCode::kUnavailable, "postgres: SQLSTATE 57P01: terminating connection")));
  CHECK_FALSE(store::is_conflict_rollback(Status{}));
}

TEST_CASE("LanedSink runs the lanes of one call at the same time") {
  Rig rig(2);
  // Each lane's commit waits for the other lane's commit to start: only lanes that run
  // concurrently both get past it before the deadline.
  std::mutex mu;
  std::condition_variable cv;
  int entered = 0;
  bool met_in_time = true;
  const auto rendezvous = [&] {
    std::unique_lock<std::mutex> lock(mu);
    ++entered;
    cv.notify_all();
    if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return entered >= 2; }))
      met_in_time = false;
  };
  for (FakeSink& f : rig.fakes) f.on_commit(rendezvous);
  const std::vector<store::Claim> pair = claims_in_two_lanes();  // both lanes
  REQUIRE(rig.sink->apply(pair).status.ok());
  CHECK(entered == 2);
  CHECK(met_in_time);
}

TEST_CASE("LanedSink::lane_of spreads wallets over the lanes") {
  std::vector<std::size_t> per_lane(4);
  for (const store::Claim& c : make_claims(4000, /*wallets=*/4000))
    ++per_lane[store::LanedSink::lane_of(c.wallet, per_lane.size())];
  for (std::size_t n : per_lane) CHECK((n > 800 && n < 1200));
  CHECK_THROWS(store::LanedSink({}));
}

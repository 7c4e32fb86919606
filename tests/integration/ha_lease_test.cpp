// The active/standby lease against a real PostgreSQL cluster (storage/sink_lease.hpp,
// node/ha/): two holders on one lease row, expiry and takeover with a new fencing token,
// release, the fenced sink refusing writes once its lease is gone, and the ledger
// adoption a new active node runs.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "node/ha/ledger_adoption.hpp"
#include "storage/node_store.hpp"
#include "storage/pg_connection.hpp"
#include "storage/sink_lease.hpp"
#include "tests/support/pg_cluster.hpp"
#include "tests/support/process.hpp"

namespace claimsync::testing {
namespace {

constexpr const char* kKey = "31337:0x00000000000000000000000000000000000000aa";
constexpr std::uint64_t kChain = 31337;

// A fence that hands out whatever the test says it holds.
class TestFence final : public store::LeaseFence {
 public:
  std::optional<store::FenceToken> token;
  std::optional<store::FenceToken> current() const override { return token; }
};

eth::Hash32 hash_of(std::uint64_t n, std::uint8_t tag) {
  std::array<std::uint8_t, 32> b{};
  b[0] = tag;
  for (int i = 0; i < 8; ++i) b[31 - i] = static_cast<std::uint8_t>(n >> (8 * i));
  return eth::Hash32(b);
}

store::Claim claim(std::uint64_t tx, std::uint64_t block) {
  store::Claim c;
  c.key = store::ClaimKey{kChain, hash_of(tx, 0x7e), 0, 0};
  std::array<std::uint8_t, 20> w{};
  w[0] = 0xa0;
  w[19] = static_cast<std::uint8_t>(tx);
  c.wallet = eth::Address(w);
  c.level = 1;
  c.amount = eth::U256(1);
  c.block_number = block;
  c.block_hash = hash_of(block, 0xb1);
  c.block_time = 1'000 + block;
  c.sources = store::kSourceScan;
  return c;
}

std::int64_t count(PgCluster& pg, const std::string& db, const std::string& sql) {
  return std::stoll(pg.query(sql, {}, db).at(0).at(0).value());
}

// Waits (bounded) until `lease` takes the row for `holder`.
store::LeaseState acquire_within(store::SinkLease& lease, const std::string& holder,
                                 std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto s = lease.acquire(kKey, holder, 800);
    REQUIRE(s.ok());
    if (s->held || std::chrono::steady_clock::now() > deadline) return *s;
    // Polling the condition (the row's expiry, on the database's clock) under the deadline
    // above: the lease has no notification to wait on.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

TEST_CASE("lease: one holder at a time, a new token at each takeover, release hands over") {
  PgCluster pg;
  pg.create_database("lease");
  auto sink = store::open_sink(pg.url("lease"), /*migrate=*/true);
  REQUIRE(sink.ok());
  auto a = store::open_postgres_lease(pg.url("lease"), {5'000, nullptr});
  auto b = store::open_postgres_lease(pg.url("lease"), {5'000, nullptr});

  auto first = a->acquire(kKey, "a/1", 800);
  REQUIRE(first.ok());
  CHECK(first->held);
  CHECK(first->token == 1);
  auto refused = b->acquire(kKey, "b/1", 800);
  REQUIRE(refused.ok());
  CHECK_FALSE(refused->held);
  CHECK(refused->holder == "a/1");
  CHECK(refused->token == 1);
  auto renewed = a->acquire(kKey, "a/1", 800);
  REQUIRE(renewed.ok());
  CHECK(renewed->held);
  CHECK(renewed->token == 1);  // a renewal keeps the token

  // a stops renewing: b gets it once it expires, with a new token.
  const auto taken = acquire_within(*b, "b/1", std::chrono::seconds(5));
  REQUIRE(taken.held);
  CHECK(taken.token == 2);
  auto late = a->acquire(kKey, "a/1", 800);
  REQUIRE(late.ok());
  CHECK_FALSE(late->held);
  CHECK(late->holder == "b/1");

  // A clean stop: released, a takes it back at once (no TTL wait), token 3.
  REQUIRE(b->release(kKey, "b/1", 2).ok());
  auto back = a->acquire(kKey, "a/1", 800);
  REQUIRE(back.ok());
  CHECK(back->held);
  CHECK(back->token == 3);
  // A stale release (old token) changes nothing.
  REQUIRE(b->release(kKey, "b/1", 2).ok());
  auto still = b->acquire(kKey, "b/1", 800);
  REQUIRE(still.ok());
  CHECK_FALSE(still->held);
}

TEST_CASE("fenced sink: the old holder writes nothing once another node took the lease") {
  PgCluster pg;
  pg.create_database("fence");
  REQUIRE(store::open_sink(pg.url("fence"), /*migrate=*/true).ok());
  auto a = store::open_postgres_lease(pg.url("fence"), {5'000, nullptr});
  auto b = store::open_postgres_lease(pg.url("fence"), {5'000, nullptr});
  TestFence fence_a;
  TestFence fence_b;
  auto sink_a = store::open_sink(pg.url("fence"), false, {5'000, nullptr, &fence_a});
  auto sink_b = store::open_sink(pg.url("fence"), false, {5'000, nullptr, &fence_b});
  REQUIRE(sink_a.ok());
  REQUIRE(sink_b.ok());

  // Not holding anything: refused without writing.
  auto none = (*sink_a)->apply({claim(1, 10)});
  CHECK(none.status.code() == ErrorCode::kFailedPrecondition);
  CHECK(none.status.message().find("lease lost") != std::string::npos);

  auto got = a->acquire(kKey, "a/1", 800);
  REQUIRE(got.ok());
  REQUIRE(got->held);
  fence_a.token = store::FenceToken{kKey, "a/1", got->token};
  REQUIRE((*sink_a)->apply({claim(1, 10)}).status.ok());
  CHECK(count(pg, "fence", "SELECT count(*) FROM membership") == 1);

  const auto taken = acquire_within(*b, "b/1", std::chrono::seconds(5));
  REQUIRE(taken.held);
  fence_b.token = store::FenceToken{kKey, "b/1", taken.token};

  // a still believes it holds token 1 (e.g. paused, partitioned): the database says no.
  for (const store::SinkResult& r :
       {(*sink_a)->apply({claim(2, 11)}), (*sink_a)->revoke({claim(1, 10)})}) {
    CHECK(r.status.code() == ErrorCode::kFailedPrecondition);
    CHECK(r.status.message().find("lease lost") != std::string::npos);
  }
  store::Claim failing = claim(3, 12);
  failing.state = store::ClaimState::kRetrying;
  CHECK((*sink_a)->record({{failing}}).code() == ErrorCode::kFailedPrecondition);
  CHECK(count(pg, "fence", "SELECT count(*) FROM membership") == 1);
  CHECK(count(pg, "fence", "SELECT count(*) FROM claim_sync_queue") == 1);
  CHECK(count(pg, "fence", "SELECT count(*) FROM claim_sync_queue WHERE status = 'done'") == 1);

  // The new holder writes.
  REQUIRE((*sink_b)->apply({claim(2, 11)}).status.ok());
  REQUIRE((*sink_b)->record({{failing}}).ok());
  CHECK(count(pg, "fence", "SELECT count(*) FROM membership") == 2);
  CHECK(count(pg, "fence", "SELECT count(*) FROM claim_sync_queue") == 3);
}

TEST_CASE("ledger adoption: what the old holder left in the sink becomes this node's work") {
  PgCluster pg;
  pg.create_database("adopt");
  auto sink = store::open_sink(pg.url("adopt"), /*migrate=*/true);
  REQUIRE(sink.ok());
  TempDir dir;
  auto opened = store::NodeStore::open(dir.file("store"), {kChain, eth::Address{}, 0});
  REQUIRE(opened.ok());
  store::NodeStore& st = **opened;
  const std::int64_t now = 1'700'000'000'000;

  // This node scanned [0, 100]: c3 (block 90), c4 (60), c5 (70). c4, c5 were applied (by
  // this node, once active); then a reorg at 80 orphaned c3 (never sent by this node).
  const store::Claim c1 = claim(1, 40), c2 = claim(2, 500), c3 = claim(3, 90), c4 = claim(4, 60),
                     c5 = claim(5, 70);
  REQUIRE(st.commit_range({0, 100}, {}, {c3, c4, c5}, now).ok());
  REQUIRE(st.mark_replicated({c4.key, c5.key}, now).ok());
  REQUIRE(st.rollback_to(80, now).ok());
  REQUIRE(st.get(c3.key)->state == store::ClaimState::kOrphaned);

  // What the other node left: c1 (a block this node scanned without it), c2 (a block this
  // node has not scanned), c3 applied, c4 revoked (the store still says done), c5 done.
  REQUIRE((*sink)->apply({c1, c2, c3, c4, c5}).status.ok());
  REQUIRE((*sink)->revoke({c4}).status.ok());

  auto conn = store::PgConnection::connect(pg.url("adopt"), {5'000, nullptr});
  REQUIRE(conn.ok());
  SystemClock clock;
  auto out = node::adopt_sink_ledger(*conn, st, kChain, clock);
  REQUIRE(out.ok());
  CHECK(out->rows == 5);
  CHECK(out->hinted == 1);
  CHECK(out->revoked == 2);
  CHECK(out->reapplied == 1);

  CHECK(st.get(c1.key)->state == store::ClaimState::kRevoking);
  const auto h = st.get(c2.key);
  REQUIRE(h);
  CHECK(h->state == store::ClaimState::kPending);
  CHECK(h->sent_to_sink);  // a reorg of its block revokes it rather than orphans it
  CHECK((h->sources & store::kSourceTakeover) != 0);
  CHECK(st.get(c3.key)->state == store::ClaimState::kRevoking);
  CHECK(st.get(c4.key)->state == store::ClaimState::kRevoking);
  CHECK(st.get(c4.key)->reapply_after_revoke);
  CHECK(st.get(c5.key)->state == store::ClaimState::kDone);

  // Adopting again changes nothing more (the first adoption's work is queued already).
  auto again = node::adopt_sink_ledger(*conn, st, kChain, clock);
  REQUIRE(again.ok());
  CHECK(again->rows == 5);
  CHECK(again->hinted + again->revoked + again->reapplied == 0);
}

}  // namespace
}  // namespace claimsync::testing

// DESIGN §5 rule 2 / §9 "Postgres stopped for minutes", against the real things: a
// RocksDB NodeStore holding 5,000 claims, a throwaway PostgreSQL 15 cluster, the
// production LazySink + PostgresSink and the replicator's run() loop on the system clock.
// Postgres is stopped in the middle of replication for >= 30 s and started again.
// Afterwards every claim is done exactly once in the database, none is dead, no attempt
// was spent, and the process's resident memory stayed bounded while it waited.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "node/lazy_sink.hpp"
#include "node/replicator.hpp"
#include "rpc/logging.hpp"
#include "storage/node_store.hpp"
#include "tests/support/pg_cluster.hpp"
#include "tests/support/process.hpp"
#include "tests/support/synthetic_claims.hpp"

namespace {

using namespace claimsync;
using namespace std::chrono_literals;
using store::ClaimState;

constexpr std::uint32_t kClaims = 5'000;
constexpr auto kOutage = 30s;
// Growth of the resident set allowed while the database is down. The replicator holds
// nothing while paused; this leaves room for allocator noise of failed connects.
constexpr std::int64_t kRssGrowthBound = 8 << 20;

std::int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

std::uint64_t count_of(const store::NodeStore& s, ClaimState st) { return s.counters().of(st); }

}  // namespace

TEST_CASE("Postgres stopped for 30 s in the middle of 5,000 claims: all done exactly once") {
  set_log_level(LogLevel::kInfo);
  testing::PgCluster pg;
  testing::TempDir dir("replicator-outage");
  auto opened = store::NodeStore::open(dir.file("store"), testing::synthetic_identity());
  REQUIRE(opened.ok());
  std::unique_ptr<store::NodeStore> store = std::move(opened.value());
  SystemClock clock;
  REQUIRE(testing::commit_synthetic_claims(*store, kClaims, clock.now_ms()).ok());
  REQUIRE(count_of(*store, ClaimState::kPending) == kClaims);

  node::LazySink sink(pg.url(), /*migrate=*/true);
  node::ReplicatorConfig config;
  config.batch_size = 25;   // many transactions, so the outage lands mid-way
  config.max_attempts = 3;  // an outage that spent attempts would dead-letter quickly
  config.backoff_initial_ms = 200;
  config.backoff_max_ms = 2'000;
  config.idle_poll_ms = 100;
  node::Replicator replicator(*store, sink, clock, config);
  StopFlag stop;
  std::thread worker([&] { replicator.run(stop); });

  // Stop Postgres once replication is under way.
  REQUIRE(
      testing::wait_until([&] { return count_of(*store, ClaimState::kDone) >= 300; }, 60s, 2ms));
  pg.stop();
  const std::uint64_t done_at_outage = count_of(*store, ClaimState::kDone);
  INFO("claims done when Postgres stopped: " << done_at_outage);
  REQUIRE(done_at_outage < kClaims);  // really in the middle
  REQUIRE(testing::wait_until([&] { return replicator.status().paused; }, 10s));

  // Wait out the outage, sampling memory and progress.
  const std::int64_t rss_start = resident_bytes();
  std::int64_t rss_max = rss_start;
  const auto outage_end = std::chrono::steady_clock::now() + kOutage;
  while (std::chrono::steady_clock::now() < outage_end) {
    rss_max = std::max(rss_max, resident_bytes());
    CHECK(count_of(*store, ClaimState::kDead) == 0);
    CHECK(count_of(*store, ClaimState::kRetrying) == 0);
    std::this_thread::sleep_for(250ms);  // sampling interval of the measurement
  }
  const node::ReplicatorStatus during = replicator.status();
  const std::uint64_t done_after_outage = count_of(*store, ClaimState::kDone);
  std::printf(
      "outage: done at stop %llu, after %llu; rss start %lld KiB, max %lld KiB; "
      "sink failures %llu, pauses %llu\n",
      static_cast<unsigned long long>(done_at_outage),
      static_cast<unsigned long long>(done_after_outage), static_cast<long long>(rss_start >> 10),
      static_cast<long long>(rss_max >> 10), static_cast<unsigned long long>(during.unavailable),
      static_cast<unsigned long long>(during.pauses));
  CHECK(during.paused);
  CHECK(during.pauses == 1);                   // one state change logged, however many probes
  CHECK(during.unavailable >= 10);             // it kept probing ...
  CHECK(during.unavailable <= 60);             // ... with backoff, not in a loop
  CHECK(done_after_outage == done_at_outage);  // nothing "replicated" while down
  CHECK(rss_max - rss_start < kRssGrowthBound);

  const auto restart = std::chrono::steady_clock::now();
  pg.start();
  REQUIRE(
      testing::wait_until([&] { return count_of(*store, ClaimState::kDone) == kClaims; }, 120s));
  std::printf("outage: caught up %lld ms after Postgres restarted\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - restart)
                                         .count()));
  stop.request_stop();
  worker.join();

  CHECK_FALSE(replicator.status().paused);
  CHECK(count_of(*store, ClaimState::kDead) == 0);
  CHECK(count_of(*store, ClaimState::kRetrying) == 0);
  CHECK(count_of(*store, ClaimState::kPending) == 0);
  for (std::uint32_t n = 0; n < kClaims; n += 97) {
    CHECK(store->get(testing::synthetic_claim(n).key)->attempts == 0);
  }

  // Exactly once in the database: one ledger row and one membership row per claim.
  const std::string n = std::to_string(kClaims);
  CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue") == n);
  CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE status = 'done'") == n);
  CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE attempts > 0") == "0");
  CHECK(pg.scalar("SELECT count(*) FROM membership") == n);
  CHECK(pg.scalar("SELECT count(DISTINCT claim_key) FROM membership") == n);
  CHECK(pg.scalar("SELECT count(*) FROM members") == n);
  CHECK(pg.scalar("SELECT count(*) FROM membership m JOIN claim_sync_queue q "
                  "ON q.claim_key = m.claim_key AND q.wallet_address = m.wallet_address "
                  "AND q.level = m.nft_level") == n);
}

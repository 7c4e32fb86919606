// DESIGN §5 rules 2 and 3 against real PostgreSQL: a constraint the test adds rejects one
// wallet. That claim spends its attempts and goes dead (mirrored as 'dead' in
// claim_sync_queue) while every other claim replicates. The operator finds it with
// `claimsync claims list --state dead`, inspects it with `claims show`, drops the
// constraint and runs `claims retry`; the next replicator run brings it to done.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "node/replicator.hpp"
#include "storage/node_store.hpp"
#include "tests/support/pg_cluster.hpp"
#include "tests/support/process.hpp"
#include "tests/support/synthetic_claims.hpp"

namespace {

using namespace claimsync;
using namespace std::chrono_literals;
using store::ClaimState;

constexpr std::uint32_t kClaims = 200;
constexpr std::uint32_t kBadClaim = 57;
constexpr std::uint32_t kMaxAttempts = 4;

node::ReplicatorConfig fast_config() {
  node::ReplicatorConfig config;
  config.batch_size = 50;
  config.max_attempts = kMaxAttempts;
  config.backoff_initial_ms = 50;
  config.backoff_max_ms = 400;
  config.idle_poll_ms = 50;
  return config;
}

// Runs the replicator on a thread until `done` holds (or the deadline passes).
bool replicate_until(store::NodeStore& s, store::MembershipSink& sink,
                     const std::function<bool()>& done) {
  SystemClock clock;
  node::Replicator replicator(s, sink, clock, fast_config());
  StopFlag stop;
  std::thread worker([&] { replicator.run(stop); });
  const bool reached = testing::wait_until(done, 60s);
  stop.request_stop();
  worker.join();
  return reached;
}

std::string write_config(const testing::TempDir& dir, const std::string& data_dir,
                         const std::string& sink_url) {
  const std::string path = dir.file("claimsync.toml");
  std::ofstream out(path);
  out << "[chain]\n"
      << "rpc_urls = [\"http://127.0.0.1:9\"]\n"
      << "chain_id = " << testing::kSyntheticChainId << "\n"
      << "contract = \"" << testing::synthetic_identity().contract.lower_hex() << "\"\n"
      << "start_block = " << testing::kSyntheticFirstBlock << "\n"
      << "[storage]\ndata_dir = \"" << data_dir << "\"\n"
      << "[sink]\nurl = \"" << sink_url << "\"\n"
      << "[log]\nlevel = \"error\"\n";
  return path;
}

testing::RunResult claimsync_cli(const std::vector<std::string>& words, const std::string& config) {
  std::vector<std::string> argv = {CLAIMSYNC_BINARY};
  argv.insert(argv.end(), words.begin(), words.end());
  argv.insert(argv.end(), {"--config", config});
  return testing::run_command(argv, 30s);
}

// The JSON document a CLI run printed (the config keeps the log quiet: level "error").
nlohmann::json json_of(const testing::RunResult& r) {
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.output);
}

}  // namespace

TEST_CASE("a wallet rejected by a constraint goes dead after max_attempts; others replicate") {
  testing::PgCluster pg;
  testing::TempDir dir("replicator-dead-letter");
  const std::string data_dir = dir.file("store");
  const store::Claim bad = testing::synthetic_claim(kBadClaim);
  const std::string bad_key = bad.key.to_string();

  auto sink = store::open_sink(pg.url(), /*migrate=*/true);
  REQUIRE(sink.ok());
  pg.exec(
      "ALTER TABLE membership ADD CONSTRAINT test_reject_one_wallet CHECK (wallet_address <> '" +
      bad.wallet.lower_hex() + "')");

  {
    auto opened = store::NodeStore::open(data_dir, testing::synthetic_identity());
    REQUIRE(opened.ok());
    store::NodeStore& s = *opened.value();
    REQUIRE(testing::commit_synthetic_claims(s, kClaims, SystemClock().now_ms()).ok());
    REQUIRE(replicate_until(s, **sink, [&] {
      return s.counters().of(ClaimState::kDead) == 1 &&
             s.counters().of(ClaimState::kDone) == kClaims - 1;
    }));
    const store::Claim dead = s.get(bad.key).value();
    CHECK(dead.state == ClaimState::kDead);
    CHECK(dead.attempts == kMaxAttempts);
    CHECK(dead.last_error.find("test_reject_one_wallet") != std::string::npos);
    CHECK(s.counters().of(ClaimState::kPending) == 0);
    CHECK(s.counters().of(ClaimState::kRetrying) == 0);
  }

  // The database: every other claim done, the bad one mirrored as dead, no row for it.
  CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE status = 'done'") ==
        std::to_string(kClaims - 1));
  CHECK(pg.scalar("SELECT status FROM claim_sync_queue WHERE claim_key = $1", {bad_key}) == "dead");
  CHECK(pg.scalar("SELECT attempts FROM claim_sync_queue WHERE claim_key = $1", {bad_key}) ==
        std::to_string(kMaxAttempts));
  CHECK(pg.scalar("SELECT error_message FROM claim_sync_queue WHERE claim_key = $1", {bad_key})
            .find("test_reject_one_wallet") != std::string::npos);
  CHECK(pg.scalar("SELECT count(*) FROM v_failed_claims") == "1");
  CHECK(pg.scalar("SELECT count(*) FROM membership") == std::to_string(kClaims - 1));
  CHECK(pg.scalar("SELECT count(*) FROM membership WHERE wallet_address = $1",
                  {bad.wallet.lower_hex()}) == "0");

  // The operator's view, offline (the replicator has stopped and released the store).
  const std::string config = write_config(dir, data_dir, pg.url());
  const testing::RunResult listed =
      claimsync_cli({"claims", "list", "--state", "dead", "--json"}, config);
  REQUIRE(listed.exit_code == 0);
  const nlohmann::json list = json_of(listed);
  REQUIRE(list.at("count") == 1);
  CHECK(list.at("claims").at(0).at("key") == bad_key);
  CHECK(list.at("claims").at(0).at("state") == "dead");

  const testing::RunResult shown = claimsync_cli({"claims", "show", bad_key, "--json"}, config);
  REQUIRE(shown.exit_code == 0);
  const nlohmann::json show = json_of(shown);
  CHECK(show.at("attempts") == kMaxAttempts);
  CHECK(show.at("wallet") == bad.wallet.lower_hex());
  CHECK(show.at("last_error").get<std::string>().find("test_reject_one_wallet") !=
        std::string::npos);

  const testing::RunResult plain = claimsync_cli({"claims", "list", "--state", "dead"}, config);
  CHECK(plain.exit_code == 0);
  CHECK(plain.output.find(bad_key) != std::string::npos);

  // Retrying a claim that is not dead is refused and changes nothing.
  const std::string good_key = testing::synthetic_claim(1).key.to_string();
  CHECK(claimsync_cli({"claims", "retry", good_key}, config).exit_code == 1);

  // Fix the cause, retry, replicate: the claim arrives.
  pg.exec("ALTER TABLE membership DROP CONSTRAINT test_reject_one_wallet");
  const testing::RunResult retried =
      claimsync_cli({"claims", "retry", "--all-dead", "--json"}, config);
  REQUIRE(retried.exit_code == 0);
  CHECK(json_of(retried).at("count") == 1);
  const nlohmann::json after_retry =
      json_of(claimsync_cli({"claims", "show", bad_key, "--json"}, config));
  CHECK(after_retry.at("state") == "pending");
  CHECK(after_retry.at("attempts") == 0);

  {
    auto opened = store::NodeStore::open(data_dir, testing::synthetic_identity());
    REQUIRE(opened.ok());
    store::NodeStore& s = *opened.value();
    REQUIRE(
        replicate_until(s, **sink, [&] { return s.counters().of(ClaimState::kDone) == kClaims; }));
    CHECK(s.counters().of(ClaimState::kDead) == 0);
  }
  CHECK(pg.scalar("SELECT status FROM claim_sync_queue WHERE claim_key = $1", {bad_key}) == "done");
  CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE status = 'done'") ==
        std::to_string(kClaims));
  CHECK(pg.scalar("SELECT count(*) FROM membership") == std::to_string(kClaims));
  CHECK(pg.scalar("SELECT count(*) FROM v_failed_claims") == "0");
}

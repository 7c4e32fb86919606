// PostgresSink against a real, throwaway PostgreSQL 15 cluster (tests/support/pg_cluster):
// the MembershipSink contract (shared checks in tests/support/sink_conformance.hpp) plus
// what only a server can do (outages, existing tables, out-of-range data).
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>

#include "storage/laned_sink.hpp"
#include "storage/membership_sink.hpp"
#include "storage/postgres_sink.hpp"
#include "tests/support/pg_cluster.hpp"
#include "tests/support/sink_conformance.hpp"

namespace claimsync::testing {
namespace {

// The two ways PostgresSink::apply sends a batch (set_stage_min_claims): every batch as
// array parameters (the default), or every batch COPYed into the stage; "mixed" sends
// batches of 8 or more through the stage, so one sink uses both.
// "laned": the node's write path, a LanedSink over two connections that splits every
// apply by wallet (min_split 1), so each check runs with two transactions per call.
struct ApplyPath {
  const char* name;
  std::size_t stage_min_claims;
  std::size_t lanes = 1;
};
constexpr ApplyPath kArrays{"arrays", SIZE_MAX};
constexpr ApplyPath kStaged{"staged", 1};
constexpr ApplyPath kMixed{"mixed", 8};
constexpr ApplyPath kDefault{"default", store::PostgresSink::kDefaultStageMinClaims};
constexpr ApplyPath kLaned{"laned", store::PostgresSink::kDefaultStageMinClaims, 2};

// Databases are named "<prefix><db>".
SinkHarness pg_harness(PgCluster& pg, ApplyPath path = kDefault, const std::string& prefix = "") {
  SinkHarness h;
  h.open_fresh = [&pg, prefix, path](const std::string& db) {
    pg.create_database(prefix + db);
    std::vector<std::unique_ptr<store::MembershipSink>> lanes;
    for (std::size_t i = 0; i < path.lanes; ++i) {
      auto sink = store::open_sink(pg.url(prefix + db), /*migrate=*/i == 0);
      INFO(sink.status().to_string());
      REQUIRE(sink.ok());
      dynamic_cast<store::PostgresSink&>(**sink).set_stage_min_claims(path.stage_min_claims);
      lanes.push_back(std::move(sink).value());
    }
    if (lanes.size() == 1) return std::move(lanes.front());
    return std::unique_ptr<store::MembershipSink>(
        std::make_unique<store::LanedSink>(std::move(lanes), /*min_split_claims=*/1));
  };
  h.query = [&pg, prefix](const std::string& db, const std::string& sql) {
    SqlRows rows;
    for (const PgRow& r : pg.query(sql, {}, prefix + db)) {
      std::vector<std::string> row;
      for (const auto& v : r) row.push_back(v.value_or("\\N"));
      rows.push_back(std::move(row));
    }
    return rows;
  };
  h.exec = [&pg, prefix](const std::string& db, const std::string& sql) {
    pg.exec(sql, {}, prefix + db);
  };
  h.reject_wallet_sql = [](const std::string& wallet) {
    return "CREATE FUNCTION reject_wallet() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
           "IF NEW.wallet_address = '" +
           wallet +
           "' THEN RAISE EXCEPTION 'rejected by test trigger'; "
           "END IF; RETURN NEW; END $$; "
           "CREATE TRIGGER reject_wallet BEFORE INSERT OR UPDATE ON membership "
           "FOR EACH ROW EXECUTE FUNCTION reject_wallet();";
  };
  h.epoch_sql = [](const std::string& column) {
    return "extract(epoch from " + column + ")::bigint";
  };
  h.create_empty = [&pg, prefix](const std::string& db) {
    pg.create_database(prefix + db);
    return pg.url(prefix + db);
  };
  h.url = [&pg, prefix](const std::string& db) { return pg.url(prefix + db); };
  return h;
}

// Runs `check` once per apply path, each on its own databases of `pg`.
void for_each_path(PgCluster& pg, const std::function<void(const SinkHarness&)>& check) {
  for (const ApplyPath& path : {kArrays, kStaged, kMixed, kLaned}) {
    INFO("apply path: " << path.name);
    check(pg_harness(pg, path, std::string(path.name) + "_"));  // one cluster, every path
  }
}

}  // namespace

TEST_CASE("PgCluster: create, query, stop, start again", "[pg]") {
  PgCluster pg;
  CHECK(pg.scalar("SELECT 1+1") == "2");
  pg.exec("CREATE TABLE t(a int, b text)");
  pg.exec("INSERT INTO t VALUES ($1, $2)", {"1", "x'; DROP TABLE t; --"});
  CHECK(pg.dump_table("t") == "1|x'; DROP TABLE t; --\n");
  pg.stop();
  CHECK_THROWS(pg.scalar("SELECT 1"));
  pg.start();
  CHECK(pg.scalar("SELECT count(*) FROM t") == "1");
  pg.kill();
  CHECK_THROWS(pg.scalar("SELECT 1"));
  pg.start();
  CHECK(pg.scalar("SELECT b FROM t") == "x'; DROP TABLE t; --");
}

TEST_CASE("postgres sink: schema and views", "[pg][sink]") {
  PgCluster pg;
  check_schema(pg_harness(pg));
}

TEST_CASE("postgres sink: idempotent and order-independent", "[pg][sink]") {
  PgCluster pg;
  for_each_path(pg, check_idempotent_and_commutative);
}

TEST_CASE("postgres sink: level, activation and referrer rules", "[pg][sink]") {
  PgCluster pg;
  for_each_path(pg, check_level_rules);
}

TEST_CASE("postgres sink: revocation removes what the claim created", "[pg][sink]") {
  PgCluster pg;
  for_each_path(pg, check_revocation);
}

TEST_CASE("postgres sink: a failing claim does not block the others", "[pg][sink]") {
  PgCluster pg;
  for_each_path(pg, check_claim_failure_isolated);
}

TEST_CASE("postgres sink: SQL metacharacters are stored literally", "[pg][sink]") {
  PgCluster pg;
  for_each_path(pg, check_literal_strings);
}

TEST_CASE("postgres sink: record mirrors states without touching membership", "[pg][sink]") {
  PgCluster pg;
  for_each_path(pg, check_record);
}

TEST_CASE("postgres sink: snapshot read side (reconcile)", "[pg][sink][snapshot]") {
  PgCluster pg;
  check_snapshot(pg_harness(pg));
}

TEST_CASE("postgres sink: model-based apply / revoke / re-apply", "[pg][sink][model]") {
  PgCluster pg;
  for_each_path(pg, [](const SinkHarness& h) {
    for (std::uint32_t seed : {1u, 2u, 3u}) check_model(h, seed, 80);
  });
}

TEST_CASE("postgres sink: existing tables with extra NOT NULL columns that have defaults",
          "[pg][sink][existing]") {
  PgCluster pg;
  const SinkHarness h = pg_harness(pg);
  check_existing_tables_with_defaults(h);
}

TEST_CASE("postgres sink: existing tables the node would fail on are refused at migrate",
          "[pg][sink][existing]") {
  PgCluster pg;
  const SinkHarness h = pg_harness(pg);
  check_existing_tables_refused(h);
}

TEST_CASE("postgres sink: out-of-range data is a claim-specific rejection", "[pg][sink]") {
  PgCluster pg;
  for_each_path(pg, [](const SinkHarness& h) {
    auto sink = h.open_fresh("range");
    std::vector<store::Claim> claims = make_claims(20);
    claims[4].level = 3'000'000'000u;  // beyond integer: SQLSTATE 22003
    const store::SinkResult r = sink->apply(claims);
    INFO(r.status.to_string());
    REQUIRE(r.status.ok());
    REQUIRE(r.rejected.size() == 1);
    CHECK(r.rejected[0].key == claims[4].key);
    CHECK(r.rejected[0].error.find("22003") != std::string::npos);
    CHECK(h.query("range", "SELECT count(*) FROM claim_sync_queue") == SqlRows{{"19"}});
  });
}

// Claims whose text needs COPY's escaping (tab, newline, carriage return, backslash, a
// literal "\N" and "\."), NULL and set referrers, 2^256-1 amounts and a batch that repeats
// claims: the stage path writes exactly what the array path writes, value for value.
TEST_CASE("postgres sink: the COPY stage and the array parameters write the same rows",
          "[pg][sink]") {
  PgCluster pg;
  const std::vector<std::string> texts = {
      "tab\there",
      "new\nline",
      "carriage\rreturn",
      "back\\slash\\",
      "\\N",
      "\\.",
      "\\.\n\\N\t\\",
      "\"quoted\" {a,b} 'x'",
      "\xc3\xbc\xe4\xb8\xad end\r\n",
      "",
  };
  std::vector<store::Claim> claims = make_claims(200);  // referrers, 2^256-1 amounts
  for (std::size_t i = 0; i < claims.size(); ++i) claims[i].last_error = texts[i % texts.size()];
  std::vector<store::Claim> batch = claims;
  batch.insert(batch.end(), claims.begin(), claims.begin() + 50);  // repeated claim keys
  std::vector<SinkTables> tables;
  for (const ApplyPath& path : {kArrays, kStaged}) {
    const SinkHarness h = pg_harness(pg, path, std::string(path.name) + "_");
    auto sink = h.open_fresh("escape");
    const store::SinkResult r = sink->apply(batch);
    INFO(path.name << ": " << r.status.to_string());
    REQUIRE(r.status.ok());
    REQUIRE(r.rejected.empty());
    for (std::size_t i = 0; i < texts.size(); ++i) {
      INFO(texts[i]);
      const SqlRows got =
          h.query("escape", "SELECT error_message FROM claim_sync_queue WHERE claim_key = '" +
                                claims[i].key.to_string() + "'");
      CHECK(got == SqlRows{{texts[i].empty() ? "\\N" : texts[i]}});
    }
    CHECK(h.query(
              "escape",
              "SELECT count(*) FROM claim_sync_queue WHERE amount = "
              "'115792089237316195423570985008687907853269984665640564039457584007913129639935'") ==
          SqlRows{{"19"}});
    CHECK(
        h.query("escape", "SELECT count(*) FROM claim_sync_queue WHERE referrer_wallet IS NULL") ==
        SqlRows{{"171"}});
    tables.push_back(dump_tables(h, "escape"));
  }
  CHECK(tables[0] == tables[1]);
}

TEST_CASE("postgres sink: database down is kUnavailable, nothing committed, then recovers",
          "[pg][sink]") {
  PgCluster pg;
  const SinkHarness h = pg_harness(pg);
  auto sink = h.open_fresh("outage");
  REQUIRE(sink->apply(make_claims(10)).status.ok());
  pg.stop();
  CHECK(sink->ping().code() == ErrorCode::kUnavailable);
  const store::SinkResult down = sink->apply(make_claims(30));
  CHECK(down.status.code() == ErrorCode::kUnavailable);
  CHECK(down.rejected.empty());
  CHECK(sink->revoke(make_claims(3)).status.code() == ErrorCode::kUnavailable);
  pg.start();
  CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue", {}, "outage") == "10");
  // The same sink reconnects by itself.
  const store::SinkResult up = sink->apply(make_claims(30));
  INFO(up.status.to_string());
  CHECK(up.status.ok());
  CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue", {}, "outage") == "30");
  pg.kill();  // a crash, not a clean shutdown
  CHECK(sink->apply(make_claims(40)).status.code() == ErrorCode::kUnavailable);
  pg.start();
  CHECK(sink->apply(make_claims(40)).status.ok());
  CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue", {}, "outage") == "40");
}

TEST_CASE("postgres sink: unreachable server at open is kUnavailable", "[pg][sink]") {
  const unsigned short port = free_loopback_port();
  auto sink =
      store::open_sink("postgres://postgres:secret@127.0.0.1:" + std::to_string(port) + "/x", true);
  REQUIRE_FALSE(sink.ok());
  CHECK(sink.status().code() == ErrorCode::kUnavailable);
  CHECK(sink.status().message().find("secret") == std::string::npos);
}

TEST_CASE("postgres sink: tables the application already has", "[pg][sink]") {
  PgCluster pg;
  // An application schema: surrogate keys, extra columns with defaults, varchar wallets,
  // no claim columns yet.
  pg.exec(
      "CREATE TABLE users (id serial PRIMARY KEY, wallet_address varchar(42) NOT NULL UNIQUE,"
      " username text NOT NULL DEFAULT 'anon', created_at timestamp DEFAULT now());"
      "CREATE TABLE members (wallet_address varchar(42) PRIMARY KEY, current_level integer,"
      " total_rewards numeric DEFAULT 0);"
      "CREATE TABLE membership (id serial PRIMARY KEY, wallet_address varchar(42) NOT NULL,"
      " nft_level integer NOT NULL, is_upgrade boolean DEFAULT false);"
      "INSERT INTO users (wallet_address, username) VALUES "
      " ('0xabcd000000000000000000000000000000000001', 'alice');"
      "INSERT INTO members VALUES ('0xabcd000000000000000000000000000000000001', 2, 5);"
      "INSERT INTO membership (wallet_address, nft_level) VALUES "
      " ('0xabcd000000000000000000000000000000000001', 1),"
      " ('0xabcd000000000000000000000000000000000001', 2);");
  auto sink = store::open_sink(pg.url(), /*migrate=*/true);
  INFO(sink.status().to_string());
  REQUIRE(sink.ok());
  const std::vector<store::Claim> claims = make_claims(120);
  apply_all(**sink, claims, 50);
  apply_all(**sink, claims, 50);
  CHECK(pg.scalar("SELECT username FROM users WHERE wallet_address = "
                  "'0xabcd000000000000000000000000000000000001'") == "alice");
  CHECK(pg.scalar("SELECT count(*) FROM users") == "40");
  // The application's own membership rows are kept (no claim_key), never taken over.
  CHECK(pg.scalar("SELECT count(*) FROM membership WHERE claim_key IS NULL") == "2");
  CHECK(pg.scalar("SELECT total_rewards FROM members WHERE wallet_address = "
                  "'0xabcd000000000000000000000000000000000001'") == "5");
  // Wallets must be lower-case from now on (checked for new rows).
  CHECK_THROWS(
      pg.exec("INSERT INTO users (wallet_address) VALUES "
              "('0xABCD000000000000000000000000000000000009')"));
}

// Lanes write disjoint wallets, but the application's own trigger can still make two
// lanes' transactions wait for each other in opposite orders: the server then rolls one
// back as a deadlock, and LanedSink writes that part again on one connection.
TEST_CASE("postgres sink: lanes deadlocked by an application trigger still commit everything",
          "[pg][sink]") {
  PgCluster pg;
  auto first = store::open_sink(pg.url(), /*migrate=*/true);
  auto second = store::open_sink(pg.url(), /*migrate=*/false);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  std::vector<std::unique_ptr<store::MembershipSink>> lanes;
  lanes.push_back(std::move(first).value());
  lanes.push_back(std::move(second).value());
  store::LanedSink sink(std::move(lanes), /*min_split_claims=*/1);
  const std::vector<store::Claim> pair = claims_in_two_lanes();  // both lanes
  const std::string wa = pair[0].wallet.lower_hex(), wb = pair[1].wallet.lower_hex();
  // A referral-reward style trigger: each new membership row updates two shared rows,
  // in an order that depends on the wallet, holding the first while it sleeps.
  pg.exec(
      "CREATE TABLE counters (id integer PRIMARY KEY, n integer NOT NULL);"
      "INSERT INTO counters VALUES (1, 0), (2, 0);"
      "CREATE FUNCTION cross_rows() RETURNS trigger LANGUAGE plpgsql AS $$ "
      "DECLARE a integer := CASE WHEN NEW.wallet_address = '" +
      wa +
      "' THEN 1 ELSE 2 END; "
      "BEGIN UPDATE counters SET n = n + 1 WHERE id = a; PERFORM pg_sleep(0.3); "
      "UPDATE counters SET n = n + 1 WHERE id = 3 - a; RETURN NEW; END $$;"
      "CREATE TRIGGER cross_rows BEFORE INSERT ON membership "
      "FOR EACH ROW EXECUTE FUNCTION cross_rows();");
  const store::SinkResult r = sink.apply(pair);
  INFO(r.status.to_string());
  REQUIRE(r.status.ok());
  CHECK(r.rejected.empty());
  CHECK(pg.scalar("SELECT count(*) FROM membership WHERE wallet_address IN ($1, $2)", {wa, wb}) ==
        "2");
  CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE status = 'done'") == "2");
  CHECK(pg.scalar("SELECT string_agg(n::text, ',' ORDER BY id) FROM counters") == "2,2");
  // The server did see the deadlock (its statistics arrive within about a second).
  CHECK(wait_until(
      [&] {
        return pg.scalar(
                   "SELECT deadlocks FROM pg_stat_database "
                   "WHERE datname = current_database()") != "0";
      },
      std::chrono::seconds(10)));
}

}  // namespace claimsync::testing

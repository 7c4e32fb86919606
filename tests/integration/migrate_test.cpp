// The migration runner and `claimsync migrate` against a real PostgreSQL cluster and SQLite
// files: ordered apply with checksums, concurrent runners, changed / unknown / failing
// migrations refused.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "storage/migration_runner.hpp"
#include "tests/support/pg_cluster.hpp"
#include "tests/support/process.hpp"

namespace claimsync::testing {
namespace {

using store::SqlDialect;

void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A migrations root (DIR/postgres, DIR/sqlite) holding copies of the built-in files.
std::string copy_embedded(const TempDir& dir) {
  const std::string root = dir.file("migrations");
  for (SqlDialect d : {SqlDialect::kPostgres, SqlDialect::kSqlite}) {
    for (const auto& m : store::embedded_migrations(d)) {
      write_file(root + "/" + store::sql_dialect_name(d) + "/" + m.name, m.sql);
    }
  }
  return root;
}

std::string write_config(const TempDir& dir, const std::string& sink_url) {
  const std::string path = dir.file("claimsync.toml");
  write_file(path,
             "[chain]\n"
             "rpc_urls = [\"http://127.0.0.1:1\"]\n"
             "chain_id = 31337\n"
             "contract = \"0x5fbdb2315678afecb367f032d93f642f64180aa3\"\n"
             "[storage]\n"
             "data_dir = \"" +
                 dir.file("data") +
                 "\"\n"
                 "[sink]\n"
                 "url = \"" +
                 sink_url + "\"\n");
  return path;
}

// Runs the same checks against either database kind.
struct Db {
  std::string url;
  std::function<std::string(const std::string& sql)> scalar;
};

void check_fresh_and_rerun(const Db& db) {
  auto first = store::migrate_database(db.url);
  INFO(first.status().to_string());
  REQUIRE(first.ok());
  CHECK(first->applied ==
        std::vector<std::string>{"001_membership_tables.sql", "002_claim_sync_queue.sql",
                                 "003_claim_sync_views.sql", "004_claimsync_lease.sql",
                                 "005_cheaper_checks.sql"});
  CHECK(first->schema_version == 5);
  auto again = store::migrate_database(db.url);
  REQUIRE(again.ok());
  CHECK(again->applied.empty());
  CHECK(again->schema_version == 5);
  CHECK(db.scalar("SELECT count(*) FROM schema_migrations") == "5");
  const auto dialect = db.url.starts_with("sqlite:") ? SqlDialect::kSqlite : SqlDialect::kPostgres;
  CHECK(db.scalar("SELECT checksum FROM schema_migrations WHERE version = 2") ==
        store::embedded_migrations(dialect)[1].checksum);
}

void check_concurrent_threads(const Db& db) {
  constexpr int kRunners = 4;
  std::atomic<int> applied{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRunners; ++i) {
    threads.emplace_back([&] {
      auto r = store::migrate_database(db.url);
      if (!r.ok()) {
        ++failed;
        return;
      }
      applied += static_cast<int>(r->applied.size());
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failed == 0);
  CHECK(applied == 5);  // every file applied exactly once, by whichever runner got there
  CHECK(db.scalar("SELECT count(*) FROM schema_migrations") == "5");
}

void check_changed_refused(const Db& db, SqlDialect dialect) {
  TempDir dir("claimsync-migrations");
  const std::string root = copy_embedded(dir);
  const std::string folder = root + "/" + store::sql_dialect_name(dialect);
  REQUIRE(store::migrate_database(db.url, root).ok());
  // A new file is picked up ...
  write_file(folder + "/006_extra.sql", "CREATE TABLE extra_five (a integer);\n");
  auto added = store::migrate_database(db.url, root);
  REQUIRE(added.ok());
  CHECK(added->applied == std::vector<std::string>{"006_extra.sql"});
  // ... but an applied file that changed stops everything, the new 007 included.
  write_file(folder + "/002_claim_sync_queue.sql",
             store::embedded_migrations(dialect)[1].sql + "\n-- edited\n");
  write_file(folder + "/007_more.sql", "CREATE TABLE extra_six (a integer);\n");
  auto changed = store::migrate_database(db.url, root);
  REQUIRE_FALSE(changed.ok());
  CHECK(changed.status().code() == ErrorCode::kFailedPrecondition);
  CHECK(changed.status().message().find("002_claim_sync_queue.sql was changed") !=
        std::string::npos);
  CHECK(db.scalar("SELECT count(*) FROM schema_migrations") == "6");
  // The built-in set lacks 006: the database is "newer" than this binary.
  auto older = store::migrate_database(db.url);
  REQUIRE_FALSE(older.ok());
  CHECK(older.status().code() == ErrorCode::kFailedPrecondition);
  CHECK(older.status().message().find("006_extra.sql") != std::string::npos);
}

void check_failing_rolls_back(const Db& db, SqlDialect dialect) {
  TempDir dir("claimsync-migrations");
  const std::string root = copy_embedded(dir);
  write_file(root + "/" + store::sql_dialect_name(dialect) + "/006_broken.sql",
             "CREATE TABLE half_done (a integer);\nINSERT INTO no_such_table VALUES (1);\n");
  auto r = store::migrate_database(db.url, root);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ErrorCode::kFailedPrecondition);
  CHECK(r.status().message().find("006_broken.sql") != std::string::npos);
  CHECK(db.scalar("SELECT count(*) FROM schema_migrations") == "5");  // 001..005 committed
  CHECK_THROWS(db.scalar("SELECT count(*) FROM half_done"));          // 006 rolled back whole
}

Db pg_db(PgCluster& pg, const std::string& name) {
  pg.create_database(name);
  return Db{pg.url(name), [&pg, name](const std::string& sql) { return pg.scalar(sql, {}, name); }};
}

Db sqlite_db(const TempDir& dir, const std::string& name) {
  const std::string path = dir.file(name + ".sqlite");
  return Db{"sqlite:" + path, [path](const std::string& sql) {
              SQLite::Database d(path, SQLite::OPEN_READONLY);
              return d.execAndGet(sql).getString();
            }};
}

// Two `claimsync migrate` processes at the same instant; both succeed, files apply once.
void check_two_processes(const std::string& sink_url,
                         const std::function<std::string(const std::string&)>& scalar) {
  TempDir dir("claimsync-migrate-cli");
  const std::string config = write_config(dir, sink_url);
  std::vector<ChildProcess> procs;
  for (int i = 0; i < 2; ++i) {
    SpawnOptions o;
    o.output_file = dir.file("out" + std::to_string(i));
    procs.push_back(
        ChildProcess::spawn({CLAIMSYNC_BINARY, "migrate", "--config", config, "--json"}, o));
  }
  int applied = 0;
  for (int i = 0; i < 2; ++i) {
    const auto status = procs[static_cast<std::size_t>(i)].wait(std::chrono::milliseconds(60'000));
    const std::string out = read_file(dir.file("out" + std::to_string(i)));
    INFO(out);
    REQUIRE(status.has_value());
    CHECK(*status == 0);
    for (std::size_t p = out.find(".sql\""); p != std::string::npos; p = out.find(".sql\"", p + 1))
      ++applied;
  }
  CHECK(applied == 5);
  CHECK(scalar("SELECT count(*) FROM schema_migrations") == "5");
}

}  // namespace

TEST_CASE("migrate postgres: applies in order, records checksums, reruns as a no-op",
          "[pg][migrate]") {
  PgCluster pg;
  check_fresh_and_rerun(pg_db(pg, "fresh"));
}

TEST_CASE("migrate postgres: concurrent runners apply each file once", "[pg][migrate]") {
  PgCluster pg;
  check_concurrent_threads(pg_db(pg, "threads"));
  pg.create_database("procs");
  check_two_processes(pg.url("procs"),
                      [&](const std::string& sql) { return pg.scalar(sql, {}, "procs"); });
}

TEST_CASE("migrate postgres: a changed or unknown applied migration is refused", "[pg][migrate]") {
  PgCluster pg;
  check_changed_refused(pg_db(pg, "changed"), SqlDialect::kPostgres);
}

TEST_CASE("migrate postgres: a failing migration rolls back and names the file", "[pg][migrate]") {
  PgCluster pg;
  check_failing_rolls_back(pg_db(pg, "broken"), SqlDialect::kPostgres);
}

TEST_CASE("migrate sqlite: applies, reruns, concurrent runners", "[sqlite][migrate]") {
  TempDir dir("claimsync-migrate-sqlite");
  check_fresh_and_rerun(sqlite_db(dir, "fresh"));
  check_concurrent_threads(sqlite_db(dir, "threads"));
  const Db procs = sqlite_db(dir, "procs");
  check_two_processes(procs.url, procs.scalar);
}

TEST_CASE("migrate sqlite: changed, unknown and failing migrations", "[sqlite][migrate]") {
  TempDir dir("claimsync-migrate-sqlite");
  check_changed_refused(sqlite_db(dir, "changed"), SqlDialect::kSqlite);
  check_failing_rolls_back(sqlite_db(dir, "broken"), SqlDialect::kSqlite);
}

// The origin design's queue (its DDL, less the Supabase RLS policies) and its views: the
// node cannot use the table (no claim_key, one row per tx_hash). Before, migrate passed and
// every claim failed at run time; now migrate refuses, changes nothing, and says what to do.
TEST_CASE("claimsync migrate: the origin design's claim_sync_queue is refused, then renamed",
          "[pg][migrate][cli]") {
  PgCluster pg;
  pg.exec(
      "CREATE TABLE claim_sync_queue (id UUID PRIMARY KEY DEFAULT gen_random_uuid(),"
      " wallet_address VARCHAR(42) NOT NULL, level INTEGER NOT NULL,"
      " tx_hash VARCHAR(66) NOT NULL UNIQUE, status VARCHAR(20) NOT NULL DEFAULT 'pending',"
      " retry_count INTEGER DEFAULT 0, max_retries INTEGER DEFAULT 5, error_message TEXT,"
      " last_error_at TIMESTAMP, source VARCHAR(50), created_at TIMESTAMP DEFAULT NOW(),"
      " updated_at TIMESTAMP DEFAULT NOW(), completed_at TIMESTAMP, failed_at TIMESTAMP,"
      " metadata JSONB DEFAULT '{}'::jsonb,"
      " CONSTRAINT valid_status CHECK (status IN ('pending', 'processing', 'completed',"
      " 'failed', 'retrying')));"
      "CREATE INDEX idx_claim_sync_queue_status ON claim_sync_queue(status)"
      " WHERE status IN ('pending', 'retrying', 'failed');"
      "CREATE INDEX idx_claim_sync_queue_tx_hash ON claim_sync_queue(tx_hash);"
      "CREATE OR REPLACE VIEW v_claim_sync_health AS SELECT"
      " COUNT(*) FILTER (WHERE status = 'pending') as pending_count,"
      " COUNT(*) FILTER (WHERE status = 'failed') as failed_count FROM claim_sync_queue;"
      "INSERT INTO claim_sync_queue (wallet_address, level, tx_hash) VALUES"
      " ('0xabcd000000000000000000000000000000000001', 1, '0x01');");
  TempDir dir("claimsync-migrate-origin");
  const std::string config = write_config(dir, pg.url());
  RunResult refused = run_command({CLAIMSYNC_BINARY, "migrate", "--config", config});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(refused.output.find("claim_sync_queue exists without column claim_key (the origin "
                            "design's queue?): rename it (ALTER TABLE claim_sync_queue RENAME "
                            "TO claim_sync_queue_old") != std::string::npos);
  CHECK(pg.scalar("SELECT count(*) FROM pg_tables WHERE tablename IN ('schema_migrations',"
                  " 'users', 'members', 'membership')") == "0");  // nothing written
  // The fix the message names (views included) makes migrate pass; the old rows stay.
  pg.exec(
      "ALTER TABLE claim_sync_queue RENAME TO claim_sync_queue_old;"
      "ALTER VIEW v_claim_sync_health RENAME TO v_claim_sync_health_old;");
  RunResult fixed = run_command({CLAIMSYNC_BINARY, "migrate", "--config", config});
  INFO(fixed.output);
  CHECK(fixed.exit_code == 0);
  CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue_old") == "1");
  CHECK(pg.scalar("SELECT count(*) FROM schema_migrations") == "5");
}

TEST_CASE("migrate: existing tables without a default or a column are refused, unchanged",
          "[pg][sqlite][migrate]") {
  PgCluster pg;
  pg.exec(
      "CREATE TABLE users (id serial PRIMARY KEY, wallet_address text UNIQUE NOT NULL,"
      " username text NOT NULL);");
  auto r = store::migrate_database(pg.url());
  REQUIRE_FALSE(r.ok());
  INFO(r.status().message());
  CHECK(r.status().code() == ErrorCode::kFailedPrecondition);
  CHECK(r.status().message().find(
            "users.username is NOT NULL without a default: the node inserts only "
            "wallet_address/referrer_wallet; add a DEFAULT or drop NOT NULL") != std::string::npos);
  CHECK(pg.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users'") ==
        "3");  // 001 did not add referrer_wallet / created_at
  pg.exec("ALTER TABLE users ALTER COLUMN username SET DEFAULT ''");
  auto fixed = store::migrate_database(pg.url());
  INFO(fixed.status().to_string());
  CHECK(fixed.ok());

  TempDir dir("claimsync-migrate-existing");
  const Db lite = sqlite_db(dir, "existing");
  {
    SQLite::Database d(dir.file("existing.sqlite"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    d.exec("CREATE TABLE members (wallet_address TEXT PRIMARY KEY, current_level INTEGER)");
  }
  auto refused = store::migrate_database(lite.url);
  REQUIRE_FALSE(refused.ok());
  INFO(refused.status().message());
  CHECK(refused.status().message().find("members has no column activated_at") != std::string::npos);
  CHECK(refused.status().message().find("members has no column referrer_wallet") !=
        std::string::npos);
  CHECK(lite.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'") == "0");
}

TEST_CASE("claimsync migrate: CLI output and exit codes", "[pg][migrate][cli]") {
  PgCluster pg;
  TempDir dir("claimsync-migrate-cli");
  const std::string config = write_config(dir, pg.url());
  RunResult first = run_command({CLAIMSYNC_BINARY, "migrate", "--config", config});
  INFO(first.output);
  CHECK(first.exit_code == 0);
  CHECK(first.output.find("applied 001_membership_tables.sql") != std::string::npos);
  CHECK(first.output.find("postgres schema at version 5") != std::string::npos);
  RunResult again = run_command({CLAIMSYNC_BINARY, "migrate", "--config", config, "--json"});
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(again.output.find("\"applied\": []") != std::string::npos);
  CHECK(again.output.find("\"schema_version\": 5") != std::string::npos);

  const std::string root = copy_embedded(dir);
  write_file(root + "/postgres/001_membership_tables.sql", "-- tampered\n");
  RunResult changed =
      run_command({CLAIMSYNC_BINARY, "migrate", "--config", config, "--migrations-dir", root});
  INFO(changed.output);
  CHECK(changed.exit_code == 1);
  CHECK(changed.output.find("001_membership_tables.sql was changed") != std::string::npos);

  pg.stop();
  RunResult down = run_command({CLAIMSYNC_BINARY, "migrate", "--config", config});
  INFO(down.output);
  CHECK(down.exit_code == 1);
  CHECK(down.output.find("unavailable") != std::string::npos);
}

// 005 swaps the regex CHECKs of 001/002 for a cheaper form (issue 11). It must accept
// exactly what the old form accepted, keep a NOT VALID check NOT VALID, and leave a
// constraint an operator wrote under the same name alone.
TEST_CASE("migrate postgres: 005's checks accept exactly what the regex checks did",
          "[pg][migrate]") {
  PgCluster pg;
  REQUIRE(store::migrate_database(pg.url()).ok());
  CHECK(pg.scalar("SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND "
                  "pg_get_constraintdef(oid) LIKE '%{%}%'") == "0");  // no bounded repeat left
  // Strings around each old pattern's edges: length +-1, upper case, non-hex, a multibyte
  // character, a trailing newline, spaces, the prefix.
  const auto edges = [](const std::string& valid, std::size_t prefix) {
    const std::string body = valid.substr(prefix);
    std::vector<std::string> v = {valid,
                                  valid.substr(0, valid.size() - 1),
                                  valid + "0",
                                  valid.substr(0, valid.size() - 1) + "A",
                                  valid.substr(0, valid.size() - 1) + "g",
                                  valid.substr(0, valid.size() - 2) + "\xc3\xa9",
                                  valid + "\n",
                                  valid.substr(0, valid.size() - 1) + "\n",
                                  " " + valid.substr(1),
                                  "",
                                  "0x",
                                  "1x" + body,
                                  "0X" + body,
                                  "0xx" + body.substr(1),
                                  std::string(valid.size(), '0')};
    return v;
  };
  const std::string hex40 = "0x0123456789abcdef0123456789abcdef01234567";
  const std::string hex64 = "0x" + std::string(32, 'a') + "0123456789abcdef0123456789abcdef";
  const std::vector<std::string> wallets = edges(hex40, 2), hashes = edges(hex64, 2);
  std::vector<std::string> amounts = edges(std::string(78, '9'), 0);
  for (const char* a : {"0", "1e3", "-1", "1 ", "18446744073709551616"}) amounts.push_back(a);
  struct Case {
    const char* table;
    const char* name;
    const char* column;
    const char* old_pattern;
    const std::vector<std::string>* samples;
  };
  const std::vector<Case> cases = {
      {"users", "users_wallet_lowercase", "wallet_address", "^0x[0-9a-f]{40}$", &wallets},
      {"users", "users_referrer_lowercase", "referrer_wallet", "^0x[0-9a-f]{40}$", &wallets},
      {"members", "members_wallet_lowercase", "wallet_address", "^0x[0-9a-f]{40}$", &wallets},
      {"members", "members_referrer_lowercase", "referrer_wallet", "^0x[0-9a-f]{40}$", &wallets},
      {"membership", "membership_wallet_lowercase", "wallet_address", "^0x[0-9a-f]{40}$", &wallets},
      {"claim_sync_queue", "claim_sync_queue_tx_hash_lowercase", "tx_hash", "^0x[0-9a-f]{64}$",
       &hashes},
      {"claim_sync_queue", "claim_sync_queue_wallet_lowercase", "wallet_address",
       "^0x[0-9a-f]{40}$", &wallets},
      {"claim_sync_queue", "claim_sync_queue_amount_check", "amount", "^[0-9]{1,78}$", &amounts},
      {"claim_sync_queue", "claim_sync_queue_block_hash_check", "block_hash", "^0x[0-9a-f]{64}$",
       &hashes},
      {"claim_sync_queue", "claim_sync_queue_referrer_wallet_check", "referrer_wallet",
       "^0x[0-9a-f]{40}$", &wallets},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    // The constraint as the database holds it, with its column replaced by the sample.
    std::string expr = pg.scalar(
        "SELECT pg_get_expr(conbin, conrelid) FROM pg_constraint "
        "WHERE conname = $1 AND conrelid = $2::regclass",
        {c.name, c.table});
    REQUIRE(expr.find("octet_length") != std::string::npos);
    for (std::size_t at = expr.find(c.column); at != std::string::npos;
         at = expr.find(c.column, at + 8))
      expr.replace(at, std::string(c.column).size(), "($1::text)");
    int accepted = 0;
    for (const std::string& v : *c.samples) {
      INFO("sample: " << v);
      const std::string old_form =
          pg.scalar("SELECT ($1::text ~ '" + std::string(c.old_pattern) + "')::text", {v});
      const std::string new_form = pg.scalar("SELECT (" + expr + ")::text", {v});
      CHECK(new_form == old_form);
      accepted += new_form == "true" ? 1 : 0;
    }
    CHECK(accepted >= 1);
  }
  // And through an INSERT: the new check refuses what the old one did.
  CHECK_THROWS(pg.exec("INSERT INTO users (wallet_address) VALUES ($1)",
                       {"0x" + std::string(39, 'a') + "A"}));
  pg.exec("INSERT INTO users (wallet_address) VALUES ($1)", {hex40});
}

TEST_CASE("migrate postgres: 005 keeps NOT VALID and an operator's own check", "[pg][migrate]") {
  PgCluster pg;
  // The application's tables, one old mixed-case wallet; its own check on members under
  // the name 001 would use, with another definition.
  pg.exec(
      "CREATE TABLE users (id serial PRIMARY KEY, wallet_address varchar(42) NOT NULL UNIQUE);"
      "CREATE TABLE members (wallet_address varchar(42) PRIMARY KEY, current_level integer,"
      " CONSTRAINT members_wallet_lowercase CHECK (wallet_address LIKE '0x%'));"
      "CREATE TABLE membership (id serial PRIMARY KEY, wallet_address varchar(42) NOT NULL,"
      " nft_level integer NOT NULL);"
      "INSERT INTO users (wallet_address) VALUES ('0xABCD000000000000000000000000000000000001');");
  auto r = store::migrate_database(pg.url());
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  const auto def = [&](const std::string& name) {
    return pg.scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = $1",
                     {name});
  };
  CHECK(def("users_wallet_lowercase").find("octet_length") != std::string::npos);
  CHECK(def("users_wallet_lowercase").ends_with(" NOT VALID"));  // the old row is not judged
  CHECK(def("membership_wallet_lowercase").ends_with(" NOT VALID"));
  CHECK(def("members_wallet_lowercase") == "CHECK (((wallet_address)::text ~~ '0x%'::text))");
  CHECK_THROWS(
      pg.exec("INSERT INTO users (wallet_address) VALUES "
              "('0xABCD000000000000000000000000000000000002')"));
  pg.exec(
      "INSERT INTO users (wallet_address) VALUES "
      "('0xabcd000000000000000000000000000000000002')");
}

}  // namespace claimsync::testing

// SqliteSink against real SQLite files: the MembershipSink contract (shared checks in
// tests/support/sink_conformance.hpp) plus SQLite specifics.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <latch>
#include <thread>

#include "storage/membership_sink.hpp"
#include "storage/sqlite_database.hpp"
#include "storage/sqlite_sink.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sink_conformance.hpp"

namespace claimsync::testing {
namespace {

// Databases are files in one temp dir, named after the harness's db names.
class SqliteHarness {
 public:
  SinkHarness harness() {
    SinkHarness h;
    h.open_fresh = [this](const std::string& db) {
      auto sink = store::open_sink("sqlite:" + path(db), /*migrate=*/true);
      INFO(sink.status().to_string());
      REQUIRE(sink.ok());
      return std::move(sink).value();
    };
    h.query = [this](const std::string& db, const std::string& sql) {
      SQLite::Database d(path(db), SQLite::OPEN_READONLY);
      SQLite::Statement q(d, sql);
      SqlRows rows;
      while (q.executeStep()) {
        std::vector<std::string> row;
        for (int i = 0; i < q.getColumnCount(); ++i) {
          row.push_back(q.getColumn(i).isNull() ? "\\N" : q.getColumn(i).getString());
        }
        rows.push_back(std::move(row));
      }
      return rows;
    };
    h.exec = [this](const std::string& db, const std::string& sql) {
      SQLite::Database d(path(db), SQLite::OPEN_READWRITE);
      d.exec(sql);
    };
    h.reject_wallet_sql = [](const std::string& wallet) {
      return "CREATE TRIGGER reject_wallet BEFORE INSERT ON membership WHEN NEW.wallet_address = "
             "'" +
             wallet + "' BEGIN SELECT RAISE(ABORT, 'rejected by test trigger'); END";
    };
    h.epoch_sql = [](const std::string& column) {
      return "CAST(strftime('%s', " + column + ") AS INTEGER)";
    };
    h.create_empty = [this](const std::string& db) {
      SQLite::Database d(path(db), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      return "sqlite:" + path(db);
    };
    h.url = [this](const std::string& db) { return "sqlite:" + path(db); };
    return h;
  }
  std::string path(const std::string& db) const { return dir_.file(db + ".sqlite"); }

 private:
  TempDir dir_{"claimsync-sqlite-sink"};
};

}  // namespace

TEST_CASE("sqlite sink: schema and views", "[sqlite][sink]") {
  SqliteHarness s;
  check_schema(s.harness());
}

TEST_CASE("sqlite sink: idempotent and order-independent", "[sqlite][sink]") {
  SqliteHarness s;
  check_idempotent_and_commutative(s.harness());
}

TEST_CASE("sqlite sink: level, activation and referrer rules", "[sqlite][sink]") {
  SqliteHarness s;
  check_level_rules(s.harness());
}

TEST_CASE("sqlite sink: revocation removes what the claim created", "[sqlite][sink]") {
  SqliteHarness s;
  check_revocation(s.harness());
}

TEST_CASE("sqlite sink: a failing claim does not block the others", "[sqlite][sink]") {
  SqliteHarness s;
  check_claim_failure_isolated(s.harness());
}

TEST_CASE("sqlite sink: SQL metacharacters are stored literally", "[sqlite][sink]") {
  SqliteHarness s;
  check_literal_strings(s.harness());
}

TEST_CASE("sqlite sink: record mirrors states without touching membership", "[sqlite][sink]") {
  SqliteHarness s;
  check_record(s.harness());
}

TEST_CASE("sqlite sink: snapshot read side (reconcile)", "[sqlite][sink][snapshot]") {
  SqliteHarness s;
  check_snapshot(s.harness());
}

TEST_CASE("sqlite sink: model-based apply / revoke / re-apply", "[sqlite][sink][model]") {
  SqliteHarness s;
  const SinkHarness h = s.harness();
  for (std::uint32_t seed : {1u, 2u, 3u}) check_model(h, seed, 80);
}

TEST_CASE("sqlite sink: existing tables with extra NOT NULL columns that have defaults",
          "[sqlite][sink][existing]") {
  SqliteHarness s;
  const SinkHarness h = s.harness();
  check_existing_tables_with_defaults(h);
}

TEST_CASE("sqlite sink: existing tables the node would fail on are refused at migrate",
          "[sqlite][sink][existing]") {
  SqliteHarness s;
  const SinkHarness h = s.harness();
  check_existing_tables_refused(h);
}

TEST_CASE("sqlite sink: a locked database is unavailable, nothing committed", "[sqlite][sink]") {
  SqliteHarness s;
  const SinkHarness h = s.harness();
  auto sink = h.open_fresh("locked");
  {
    // Another writer holds the write lock longer than the sink's busy timeout would wait:
    // shorten it by opening our own sink with a tiny timeout.
    auto fast = store::SqliteSink::open(s.path("locked"));
    REQUIRE(fast.ok());
    (*fast)->database().setBusyTimeout(50);
    SQLite::Database other(s.path("locked"), SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");
    const store::SinkResult r = (*fast)->apply(make_claims(5));
    CHECK(r.status.code() == ErrorCode::kUnavailable);
    CHECK(r.rejected.empty());
    other.exec("ROLLBACK");
  }
  CHECK(h.query("locked", "SELECT count(*) FROM claim_sync_queue") == SqlRows{{"0"}});
  CHECK(sink->apply(make_claims(5)).status.ok());
}

// Several openers of one new file at once: switching it to WAL makes them contend for an
// exclusive lock that SQLite refuses at once (no busy wait) when it sees a deadlock; the
// open must wait its turn, not fail (CI saw two `claimsync migrate` processes hit this).
TEST_CASE("sqlite: concurrent opens of a new file all succeed", "[sqlite][sink]") {
  TempDir dir("claimsync-sqlite-open");
  constexpr int kOpeners = 8;
  for (int round = 0; round < 20; ++round) {
    const std::string path = dir.file("race" + std::to_string(round) + ".sqlite");
    std::latch start(kOpeners);
    std::vector<std::string> errors(kOpeners);
    std::vector<std::thread> threads;
    for (int i = 0; i < kOpeners; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto db = store::open_sqlite_database(path);
        if (!db.ok()) errors[static_cast<std::size_t>(i)] = db.status().to_string();
      });
    }
    for (auto& t : threads) t.join();
    for (const std::string& e : errors) CHECK(e.empty());
    SQLite::Database check(path, SQLite::OPEN_READONLY);
    CHECK(check.execAndGet("PRAGMA journal_mode").getString() == "wal");
  }
}

TEST_CASE("sqlite sink: a missing schema is a whole-call failure", "[sqlite][sink]") {
  SqliteHarness s;
  auto sink = store::open_sink("sqlite:" + s.path("bare"), /*migrate=*/false);
  REQUIRE(sink.ok());
  const store::SinkResult r = (*sink)->apply(make_claims(3));
  CHECK(r.status.code() == ErrorCode::kFailedPrecondition);
  CHECK(r.rejected.empty());
}

TEST_CASE("open_sink: unknown scheme", "[sink]") {
  auto sink = store::open_sink("mysql://u:secret@h/db", true);
  REQUIRE_FALSE(sink.ok());
  CHECK(sink.status().code() == ErrorCode::kInvalidArgument);
  CHECK(sink.status().message().find("secret") == std::string::npos);
  CHECK(store::open_sink("sqlite:", true).status().code() == ErrorCode::kInvalidArgument);
}

}  // namespace claimsync::testing

#include "storage/migration_runner.hpp"

#include <openssl/evp.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "rpc/logging.hpp"
#include "storage/embedded_migrations.hpp"
#include "storage/pg_connection.hpp"
#include "storage/sqlite_database.hpp"

namespace claimsync::store {
namespace {

// Key of the session advisory lock that serialises Postgres runners ("claimsyn").
constexpr const char* kPgMigrationLockKey = "7164495203449514350";
constexpr const char* kPgLockTimeout = "60s";

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest(sha256) failed");  // broken OpenSSL: a bug
  }
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

Status sort_and_check(std::vector<Migration>& migrations) {
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version == migrations[i - 1].version) {
      return error(ErrorCode::kInvalidArgument, "migrations " + migrations[i - 1].name + " and " +
                                                    migrations[i].name + " share a version number");
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// Postgres: a session advisory lock around the run, one transaction per file.

class PgMigrationTarget final : public MigrationTarget {
 public:
  explicit PgMigrationTarget(PgConnection& conn) : conn_(conn) {}

  Status lock() override {
    CLAIMSYNC_RETURN_IF_ERROR(
        conn_.exec(std::string("SET lock_timeout = '") + kPgLockTimeout + "'").status());
    return conn_.exec_params("SELECT pg_advisory_lock($1::bigint)", {kPgMigrationLockKey})
        .status()
        .with_context("waiting for another claimsync migrate");
  }

  void unlock() override {
    (void)conn_.exec_params("SELECT pg_advisory_unlock($1::bigint)", {kPgMigrationLockKey});
    (void)conn_.exec("RESET lock_timeout");
  }

  Status ensure_table() override {
    return conn_
        .exec(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY,"
            " name text NOT NULL,"
            " checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())")
        .status();
  }

  Result<std::vector<AppliedMigration>> applied() override {
    auto r = conn_.exec("SELECT version, name, checksum FROM schema_migrations ORDER BY version");
    if (!r.ok()) return r.status();
    std::vector<AppliedMigration> out;
    for (int i = 0; i < r->rows(); ++i) {
      AppliedMigration a;
      const auto v = r->value(i, 0);
      std::from_chars(v.data(), v.data() + v.size(), a.version);
      a.name = std::string(r->value(i, 1));
      a.checksum = std::string(r->value(i, 2));
      out.push_back(std::move(a));
    }
    return out;
  }

  Result<Outcome> apply(const Migration& m) override {
    CLAIMSYNC_RETURN_IF_ERROR(conn_.exec("BEGIN").status());
    Result<Outcome> result = apply_in_transaction(m);
    const Status end = conn_.exec(result.ok() ? "COMMIT" : "ROLLBACK").status();
    if (result.ok() && !end.ok()) return end;
    return result;
  }

 private:
  Result<Outcome> apply_in_transaction(const Migration& m) {
    const std::string version = std::to_string(m.version);
    auto existing = conn_.exec_params(
        "SELECT name, checksum FROM schema_migrations WHERE version = $1", {version});
    if (!existing.ok()) return existing.status();
    if (existing->rows() > 0) {
      return Outcome{
          {m.version, std::string(existing->value(0, 0)), std::string(existing->value(0, 1))},
          false};
    }
    if (Status st = conn_.exec(m.sql).status(); !st.ok()) {
      const ErrorCode code = st.is_transient() ? st.code() : ErrorCode::kFailedPrecondition;
      return error(code, "migration " + m.name + " failed: " + st.message());
    }
    auto rec = conn_.exec_params(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
        {version, m.name, m.checksum});
    if (!rec.ok()) return rec.status();
    return Outcome{{m.version, m.name, m.checksum}, true};
  }

  PgConnection& conn_;
};

// ---------------------------------------------------------------------------------------
// SQLite: each file under BEGIN IMMEDIATE (the database's write lock), re-checked inside.

class SqliteMigrationTarget final : public MigrationTarget {
 public:
  explicit SqliteMigrationTarget(SQLite::Database& db) : db_(db) {}

  Status lock() override { return {}; }  // BEGIN IMMEDIATE in apply() is the lock
  void unlock() override {}

  Status ensure_table() override {
    return sqlite_call("create schema_migrations", [&] {
      db_.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version INTEGER PRIMARY KEY,"
          " name TEXT NOT NULL,"
          " checksum TEXT NOT NULL,"
          " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))");
    });
  }

  Result<std::vector<AppliedMigration>> applied() override {
    std::vector<AppliedMigration> out;
    Status st = sqlite_call("read schema_migrations", [&] {
      SQLite::Statement q(db_,
                          "SELECT version, name, checksum FROM schema_migrations ORDER BY version");
      while (q.executeStep()) {
        out.push_back(
            {q.getColumn(0).getInt(), q.getColumn(1).getString(), q.getColumn(2).getString()});
      }
    });
    if (!st.ok()) return st;
    return out;
  }

  Result<Outcome> apply(const Migration& m) override {
    Outcome result{{m.version, m.name, m.checksum}, true};
    Status st = sqlite_call("migration " + m.name, [&] {
      SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement existing(db_,
                                 "SELECT name, checksum FROM schema_migrations WHERE version = ?");
      existing.bind(1, m.version);
      if (existing.executeStep()) {
        result = {{m.version, existing.getColumn(0).getString(), existing.getColumn(1).getString()},
                  false};
        return;  // another runner applied it; the transaction rolls back (nothing written)
      }
      db_.exec(m.sql);
      SQLite::Statement rec(
          db_, "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)");
      rec.bind(1, m.version);
      rec.bind(2, m.name);
      rec.bind(3, m.checksum);
      rec.exec();
      tx.commit();
    });
    if (!st.ok()) {
      if (st.is_transient()) return st;
      return error(ErrorCode::kFailedPrecondition, st.message());
    }
    return result;
  }

 private:
  SQLite::Database& db_;
};

// Holds the runner lock for a scope.
class RunnerLock {
 public:
  explicit RunnerLock(MigrationTarget& t) : t_(t) {}
  Status acquire() {
    Status st = t_.lock();
    held_ = st.ok();
    return st;
  }
  ~RunnerLock() {
    if (held_) t_.unlock();
  }
  RunnerLock(const RunnerLock&) = delete;
  RunnerLock& operator=(const RunnerLock&) = delete;

 private:
  MigrationTarget& t_;
  bool held_ = false;
};

// A changed or unknown applied migration stops the run before anything is applied.
Status verify_applied(const std::vector<AppliedMigration>& applied,
                      const std::map<int, const Migration*>& by_version) {
  for (const auto& a : applied) {
    auto it = by_version.find(a.version);
    if (it == by_version.end()) {
      return error(ErrorCode::kFailedPrecondition,
                   "database has migration " + a.name + " (version " + std::to_string(a.version) +
                       ") that this claimsync does not have: it was migrated by a newer "
                       "version; upgrade claimsync");
    }
    if (it->second->checksum != a.checksum) {
      return error(ErrorCode::kFailedPrecondition,
                   "migration " + it->second->name +
                       " was changed after it was applied (recorded sha256 " + a.checksum +
                       ", file sha256 " + it->second->checksum +
                       "): restore the original file and put schema changes in a new migration");
    }
  }
  return {};
}

}  // namespace

Result<Migration> make_migration(const std::string& file_name, std::string sql) {
  int version = 0;
  const char* begin = file_name.data();
  const char* end = begin + file_name.size();
  auto [p, ec] = std::from_chars(begin, end, version);
  const bool ok = ec == std::errc() && p != begin && p < end && *p == '_' && version > 0 &&
                  file_name.size() > 4 && file_name.ends_with(".sql");
  if (!ok) {
    return error(ErrorCode::kInvalidArgument,
                 "migration file name " + file_name + " is not NNN_name.sql");
  }
  Migration m;
  m.version = version;
  m.name = file_name;
  m.checksum = sha256_hex(sql);
  m.sql = std::move(sql);
  return m;
}

std::vector<Migration> embedded_migrations(SqlDialect dialect) {
  std::vector<Migration> out;
  const std::string folder = sql_dialect_name(dialect);
  for (std::size_t i = 0; i < kEmbeddedMigrationFileCount; ++i) {
    const EmbeddedMigrationFile& f = kEmbeddedMigrationFiles[i];
    if (folder != f.dialect) continue;
    auto m = make_migration(f.file_name, std::string(f.sql, f.size));
    if (!m.ok()) throw std::logic_error("embedded migration: " + m.status().to_string());
    out.push_back(std::move(m).value());
  }
  if (Status st = sort_and_check(out); !st.ok()) throw std::logic_error(st.to_string());
  return out;
}

Result<std::vector<Migration>> load_migrations(const std::string& dir) {
  std::vector<Migration> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) return error(ErrorCode::kIOError, "cannot read " + entry.path().string());
    auto m = make_migration(entry.path().filename().string(), text.str());
    if (!m.ok()) return m.status();
    out.push_back(std::move(m).value());
  }
  if (ec)
    return error(ErrorCode::kIOError,
                 "cannot read migrations directory " + dir + ": " + ec.message());
  CLAIMSYNC_RETURN_IF_ERROR(sort_and_check(out));
  return out;
}

std::unique_ptr<MigrationTarget> postgres_migration_target(PgConnection& conn) {
  return std::make_unique<PgMigrationTarget>(conn);
}

std::unique_ptr<MigrationTarget> sqlite_migration_target(SQLite::Database& db) {
  return std::make_unique<SqliteMigrationTarget>(db);
}

Result<MigrationReport> run_migrations(MigrationTarget& target,
                                       const std::vector<Migration>& migrations) {
  std::map<int, const Migration*> by_version;
  for (const auto& m : migrations) by_version[m.version] = &m;

  RunnerLock lock(target);
  CLAIMSYNC_RETURN_IF_ERROR(lock.acquire());
  CLAIMSYNC_RETURN_IF_ERROR(target.ensure_table());
  auto applied = target.applied();
  if (!applied.ok()) return applied.status();
  CLAIMSYNC_RETURN_IF_ERROR(verify_applied(*applied, by_version));

  MigrationReport report;
  for (const auto& a : *applied) report.schema_version = std::max(report.schema_version, a.version);
  for (const auto& [version, m] : by_version) {
    const bool done =
        std::any_of(applied->begin(), applied->end(),
                    [v = version](const AppliedMigration& a) { return a.version == v; });
    if (done) continue;
    auto outcome = target.apply(*m);
    if (!outcome.ok()) return outcome.status();
    if (outcome->record.checksum != m->checksum) {  // a concurrent runner applied other SQL
      return error(ErrorCode::kFailedPrecondition,
                   "migration " + m->name + " was applied concurrently with a different checksum");
    }
    report.schema_version = std::max(report.schema_version, version);
    if (!outcome->applied_now) continue;
    report.applied.push_back(m->name);
    log_info("migration_applied", {{"file", m->name}, {"sha256", m->checksum}});
  }
  return report;
}

Result<MigrationReport> migrate_database(const std::string& url,
                                         const std::string& migrations_root) {
  auto parsed = parse_sink_url(url);
  if (!parsed.ok()) return parsed.status();
  std::vector<Migration> migrations;
  if (migrations_root.empty()) {
    migrations = embedded_migrations(parsed->dialect);
  } else {
    auto loaded = load_migrations(migrations_root + "/" + sql_dialect_name(parsed->dialect));
    if (!loaded.ok()) return loaded.status();
    migrations = std::move(loaded).value();
  }
  if (parsed->dialect == SqlDialect::kPostgres) {
    auto conn = PgConnection::connect(parsed->target);
    if (!conn.ok()) return conn.status();
    return run_migrations(*postgres_migration_target(*conn), migrations);
  }
  auto db = open_sqlite_database(parsed->target);
  if (!db.ok()) return db.status();
  return run_migrations(*sqlite_migration_target(**db), migrations);
}

}  // namespace claimsync::store

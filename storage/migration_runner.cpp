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

std::string ascii_upper(std::string s) {
  for (char& ch : s) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  }
  return s;
}

// SQLite's type affinity of a declared column type (https://sqlite.org/datatype3.html 3.1).
enum class SqliteAffinity { kInteger, kText, kBlob, kReal, kNumeric };
SqliteAffinity sqlite_affinity(const std::string& declared) {
  const std::string t = ascii_upper(declared);
  const auto has = [&t](const char* part) { return t.find(part) != std::string::npos; };
  if (has("INT")) return SqliteAffinity::kInteger;
  if (has("CHAR") || has("CLOB") || has("TEXT")) return SqliteAffinity::kText;
  if (t.empty() || has("BLOB")) return SqliteAffinity::kBlob;
  if (has("REAL") || has("FLOA") || has("DOUB")) return SqliteAffinity::kReal;
  return SqliteAffinity::kNumeric;
}

// ---------------------------------------------------------------------------------------
// What the sink writes into tables that may exist before the first migrate.

enum class ColumnKind { kAny, kWallet, kLevel, kTime };

struct WrittenColumn {
  const char* name;
  ColumnKind kind;
  bool added_by_001;  // Postgres 001 adds it (nullable) when the table lacks it
};

struct TableRule {
  const char* table;
  std::vector<WrittenColumn> written;  // every column the sink's INSERTs name
};

const std::vector<TableRule>& table_rules() {
  static const std::vector<TableRule> rules = {
      {"users",
       {{"wallet_address", ColumnKind::kWallet, false},
        {"referrer_wallet", ColumnKind::kAny, true}}},
      {"members",
       {{"wallet_address", ColumnKind::kWallet, false},
        {"current_level", ColumnKind::kLevel, true},
        {"activated_at", ColumnKind::kTime, true},
        {"referrer_wallet", ColumnKind::kAny, true}}},
      {"membership",
       {{"wallet_address", ColumnKind::kWallet, false},
        {"nft_level", ColumnKind::kLevel, false},
        {"activated_at", ColumnKind::kTime, true},
        {"claim_key", ColumnKind::kAny, true},
        {"tx_hash", ColumnKind::kAny, true}}},
      {"claim_sync_queue",
       {{"claim_key", ColumnKind::kAny, false},
        {"chain_id", ColumnKind::kAny, false},
        {"tx_hash", ColumnKind::kAny, false},
        {"log_index", ColumnKind::kAny, false},
        {"batch_index", ColumnKind::kAny, false},
        {"wallet_address", ColumnKind::kWallet, false},
        {"level", ColumnKind::kLevel, false},
        {"amount", ColumnKind::kAny, false},
        {"block_number", ColumnKind::kAny, false},
        {"block_hash", ColumnKind::kAny, false},
        {"block_time", ColumnKind::kTime, false},
        {"referrer_wallet", ColumnKind::kAny, false},
        {"status", ColumnKind::kAny, false},
        {"attempts", ColumnKind::kAny, false},
        {"error_message", ColumnKind::kAny, false},
        {"source", ColumnKind::kAny, false},
        {"completed_at", ColumnKind::kAny, false},
        {"revoked_at", ColumnKind::kAny, false}}},
  };
  return rules;
}

std::string written_list(const TableRule& rule) {
  std::string out;
  for (const WrittenColumn& w : rule.written) {
    if (!out.empty()) out += '/';
    out += w.name;
  }
  return out;
}

const char* kind_phrase(ColumnKind k) {
  switch (k) {
    case ColumnKind::kWallet: return "text-like (text, varchar)";
    case ColumnKind::kLevel: return "integer or bigint";
    case ColumnKind::kTime: return "a timestamp";
    case ColumnKind::kAny: break;
  }
  return "any";
}

bool kind_ok(ColumnKind k, const ColumnInfo& c) {
  switch (k) {
    case ColumnKind::kWallet: return c.text_like;
    case ColumnKind::kLevel: return c.integer;
    case ColumnKind::kTime: return c.timestamp;
    case ColumnKind::kAny: break;
  }
  return true;
}

// The problems of one existing table, each naming the column and the fix.
void check_table(const TableRule& rule, const std::vector<ColumnInfo>& cols, bool tables_completed,
                 SqlDialect dialect, std::vector<std::string>& problems) {
  const std::string t = rule.table;
  const auto find = [&cols](const std::string& name) -> const ColumnInfo* {
    for (const ColumnInfo& c : cols) {
      if (c.name == name) return &c;
    }
    return nullptr;
  };
  if (t == "claim_sync_queue" && find("claim_key") == nullptr) {
    problems.push_back(
        "claim_sync_queue exists without column claim_key (the origin design's queue?): rename "
        "it (ALTER TABLE claim_sync_queue RENAME TO claim_sync_queue_old; views on it such as "
        "v_claim_sync_health and v_failed_claims must be renamed or dropped too) and migrate "
        "again");
    return;
  }
  for (const WrittenColumn& w : rule.written) {
    const ColumnInfo* c = find(w.name);
    if (c == nullptr) {
      if (tables_completed && w.added_by_001) continue;
      problems.push_back(t + " has no column " + w.name + ": the node writes it; add it (" +
                         "ALTER TABLE " + t + " ADD COLUMN " + w.name + " " +
                         (dialect == SqlDialect::kSqlite ? "TEXT" : "...") +
                         ", see migrations/README.md) and migrate again");
    } else if (!kind_ok(w.kind, *c)) {
      problems.push_back(t + "." + w.name + " is " + c->type + ": the node needs " +
                         kind_phrase(w.kind) + "; change its type (ALTER TABLE " + t +
                         " ALTER COLUMN " + w.name + " TYPE ...) and migrate again");
    }
  }
  for (const ColumnInfo& c : cols) {
    const bool written = std::any_of(rule.written.begin(), rule.written.end(),
                                     [&c](const WrittenColumn& w) { return c.name == w.name; });
    if (written || !c.not_null || c.has_default) continue;
    problems.push_back(t + "." + c.name + " is NOT NULL without a default: the node inserts only " +
                       written_list(rule) + "; add a DEFAULT or drop NOT NULL");
  }
}

// ---------------------------------------------------------------------------------------
// Postgres: a session advisory lock around the run, one transaction per file.

class PgMigrationTarget final : public MigrationTarget {
 public:
  explicit PgMigrationTarget(PgConnection& conn) : conn_(conn) {}

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }

  Result<std::vector<ColumnInfo>> columns(const std::string& table) override {
    // Resolved through the search_path like the sink's unqualified names; domains are
    // judged by their base type.
    auto r = conn_.exec_params(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory,"
        "       COALESCE(bt.typname, t.typname), a.attnotnull,"
        "       a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> ''"
        " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
        " LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype"
        " WHERE a.attrelid = to_regclass($1::text) AND a.attnum > 0 AND NOT a.attisdropped"
        " ORDER BY a.attnum",
        {table});
    if (!r.ok()) return r.status();
    std::vector<ColumnInfo> out;
    for (int i = 0; i < r->rows(); ++i) {
      ColumnInfo c;
      c.name = std::string(r->value(i, 0));
      c.type = std::string(r->value(i, 1));
      const std::string_view base = r->value(i, 3);
      c.text_like = r->value(i, 2) == "S";
      c.integer = base == "int4" || base == "int8";
      c.timestamp = base == "timestamptz" || base == "timestamp";
      c.not_null = r->value(i, 4) == "t";
      c.has_default = r->value(i, 5) == "t";
      out.push_back(std::move(c));
    }
    return out;
  }

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

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }

  Result<std::vector<ColumnInfo>> columns(const std::string& table) override {
    std::vector<ColumnInfo> out;
    std::vector<std::size_t> key_columns;
    Status st = sqlite_call("read columns of " + table, [&] {
      SQLite::Statement q(db_,
                          "SELECT name, type, \"notnull\", dflt_value IS NOT NULL, pk"
                          " FROM pragma_table_info(?1)");
      q.bind(1, table);
      while (q.executeStep()) {
        ColumnInfo c;
        c.name = q.getColumn(0).getString();
        c.type = q.getColumn(1).getString();
        const SqliteAffinity a = sqlite_affinity(c.type);
        c.text_like = a == SqliteAffinity::kText || c.type.empty();
        c.integer = a == SqliteAffinity::kInteger;
        c.timestamp = true;  // SQLite timestamps are text in any column
        c.not_null = q.getColumn(2).getInt() != 0;
        c.has_default = q.getColumn(3).getInt() != 0;
        if (q.getColumn(4).getInt() > 0) key_columns.push_back(out.size());
        out.push_back(std::move(c));
      }
    });
    if (!st.ok()) return st;
    // A single-column INTEGER PRIMARY KEY is the rowid: SQLite fills it.
    if (key_columns.size() == 1 && ascii_upper(out[key_columns[0]].type) == "INTEGER") {
      out[key_columns[0]].has_default = true;
    }
    return out;
  }

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

Status check_existing_schema(MigrationTarget& target, bool tables_completed) {
  std::vector<std::string> problems;
  for (const TableRule& rule : table_rules()) {
    auto cols = target.columns(rule.table);
    if (!cols.ok()) return cols.status();
    if (cols->empty()) continue;  // absent: a migration creates it
    check_table(rule, *cols, tables_completed && target.dialect() == SqlDialect::kPostgres,
                target.dialect(), problems);
  }
  if (problems.empty()) return {};
  std::string message = "the existing tables do not fit claimsync (nothing was changed): ";
  for (std::size_t i = 0; i < problems.size(); ++i) {
    if (i) message += "; ";
    message += problems[i];
  }
  return error(ErrorCode::kFailedPrecondition, message);
}

Result<MigrationReport> run_migrations(MigrationTarget& target,
                                       const std::vector<Migration>& migrations) {
  std::map<int, const Migration*> by_version;
  for (const auto& m : migrations) by_version[m.version] = &m;

  RunnerLock lock(target);
  CLAIMSYNC_RETURN_IF_ERROR(lock.acquire());
  // Everything is checked before anything is written, schema_migrations included.
  auto bookkeeping = target.columns("schema_migrations");
  if (!bookkeeping.ok()) return bookkeeping.status();
  Result<std::vector<AppliedMigration>> applied = std::vector<AppliedMigration>{};
  if (!bookkeeping->empty()) applied = target.applied();
  if (!applied.ok()) return applied.status();
  CLAIMSYNC_RETURN_IF_ERROR(verify_applied(*applied, by_version));
  const bool first_pending = std::none_of(applied->begin(), applied->end(),
                                          [](const AppliedMigration& a) { return a.version == 1; });
  CLAIMSYNC_RETURN_IF_ERROR(check_existing_schema(target, first_pending));
  CLAIMSYNC_RETURN_IF_ERROR(target.ensure_table());

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

// Migration runner: applies the numbered SQL files of migrations/<dialect>/ to a
// membership database and records them in `schema_migrations` (DESIGN §7).
//
// Contract:
//   * Files are named NNN_name.sql; they apply in version order, each in its own
//     transaction together with its schema_migrations row (version, name, sha256 checksum
//     of the file's bytes, applied_at). A file must not contain transaction control.
//   * Before applying anything, every applied version is checked against the files: a
//     changed file (checksum differs) or an applied version this binary does not know
//     (the database was migrated by a newer claimsync) is kFailedPrecondition and nothing
//     runs. Restore the file; never edit an applied migration, add a new one.
//   * Safe to run concurrently from several processes: Postgres serialises runners with a
//     session advisory lock; SQLite re-checks each file under BEGIN IMMEDIATE. The loser
//     finds the files applied and does nothing.
//   * Errors: kUnavailable / kTimeout when the database cannot be reached (or the lock is
//     held too long), kFailedPrecondition for a failing migration (its transaction rolled
//     back, the message names the file).
//
// The files are compiled into the binary (embedded_migrations()); load_migrations() reads a
// directory instead (`claimsync migrate --migrations-dir`, tests).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rpc/status.hpp"
#include "storage/sink_url.hpp"

namespace SQLite {
class Database;
}

namespace claimsync::store {

class PgConnection;

struct Migration {
  int version = 0;       // NNN of the file name
  std::string name;      // the file name, "001_membership_tables.sql"
  std::string sql;       // the file's bytes
  std::string checksum;  // sha256 of `sql`, 64 lower-case hex digits
};

// A Migration from a file name and its contents. kInvalidArgument when the name is not
// NNN_name.sql.
Result<Migration> make_migration(const std::string& file_name, std::string sql);

// The migrations compiled into this binary, in version order.
std::vector<Migration> embedded_migrations(SqlDialect dialect);

// Reads every *.sql file of `dir`, in version order. kInvalidArgument for a bad name or a
// duplicate version, kIOError when the directory cannot be read.
Result<std::vector<Migration>> load_migrations(const std::string& dir);

// One row of schema_migrations.
struct AppliedMigration {
  int version = 0;
  std::string name;
  std::string checksum;
};

// One column of an existing table, as the database describes it.
struct ColumnInfo {
  std::string name;
  std::string type;        // as declared ("character varying(42)", "INTEGER", ...)
  bool text_like = false;  // holds '0x...' strings as text (Postgres: a string type)
  bool integer = false;    // integer or bigint (SQLite: INTEGER affinity)
  bool timestamp = false;  // a timestamp type (SQLite: any, timestamps are text there)
  bool not_null = false;
  bool has_default = false;  // DEFAULT, identity, generated, serial, SQLite rowid alias
};

// What the runner needs of a database; postgres_migration_target() and
// sqlite_migration_target() provide it.
class MigrationTarget {
 public:
  virtual ~MigrationTarget() = default;
  virtual SqlDialect dialect() const = 0;
  // The columns of `table` (unqualified, as the sink names it), in order; empty when the
  // table does not exist.
  virtual Result<std::vector<ColumnInfo>> columns(const std::string& table) = 0;
  // Excludes other runners until unlock(). Bounded wait (kTimeout).
  virtual Status lock() = 0;
  virtual void unlock() = 0;
  // CREATE TABLE IF NOT EXISTS schema_migrations.
  virtual Status ensure_table() = 0;
  virtual Result<std::vector<AppliedMigration>> applied() = 0;
  // In one transaction: if `m.version` is already recorded, returns that record with
  // applied_now = false and changes nothing (another runner won the race); else runs
  // m.sql and records it.
  struct Outcome {
    AppliedMigration record;
    bool applied_now = false;
  };
  virtual Result<Outcome> apply(const Migration& m) = 0;
};

std::unique_ptr<MigrationTarget> postgres_migration_target(PgConnection& conn);
std::unique_ptr<MigrationTarget> sqlite_migration_target(SQLite::Database& db);

struct MigrationReport {
  std::vector<std::string> applied;  // file names applied by this run, in order
  int schema_version = 0;            // highest applied version afterwards
};

// Checks tables that exist already (an application's users / members / membership, an
// older claim_sync_queue) against what the sink writes: every column the node writes
// exists (or the pending 001 adds it, Postgres), every other NOT NULL column has a
// default, wallet_address is text-like, nft_level / current_level integer, activated_at a
// timestamp, and claim_sync_queue has claim_key (else it is the origin design's queue).
// kFailedPrecondition naming each table, column and fix; reads only. `tables_completed`:
// 001 has not run yet and will add the missing nullable columns (Postgres only).
Status check_existing_schema(MigrationTarget& target, bool tables_completed);

// Applies the pending `migrations` (see the contract above). Before anything is written
// (schema_migrations included), check_existing_schema() must pass: a schema the node
// would fail on at run time is refused at migrate time, changing nothing.
Result<MigrationReport> run_migrations(MigrationTarget& target,
                                       const std::vector<Migration>& migrations);

// Connects to the sink URL (postgres://..., sqlite:PATH), applies the migrations of its
// dialect and disconnects. `migrations_root` empty: the embedded files; else a directory
// holding postgres/ and sqlite/ (like the source tree's migrations/).
Result<MigrationReport> migrate_database(const std::string& url,
                                         const std::string& migrations_root = "");

}  // namespace claimsync::store

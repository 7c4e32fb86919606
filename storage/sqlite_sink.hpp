// SqliteSink: MembershipSink over SQLiteCpp, for local and development use (contract in
// storage/membership_sink.hpp; the rules are those of storage/postgres_sink.hpp, written
// for SQLite: max()/min() for GREATEST/LEAST, ISO-8601 UTC text timestamps).
//
// How: each call is one BEGIN IMMEDIATE transaction; each claim runs under its own
// SAVEPOINT with prepared statements, so a claim-specific failure (constraint, trigger
// RAISE, bad data) rolls back only that claim and is reported in `rejected`. BUSY / I/O
// failures roll back the whole call and return kUnavailable.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/membership_sink.hpp"

namespace SQLite {
class Database;
}

namespace claimsync::store {

class SqliteSink final : public MembershipSink {
 public:
  // Opens (creating if absent) the database file. Does not migrate.
  static Result<std::unique_ptr<SqliteSink>> open(const std::string& path);
  explicit SqliteSink(std::unique_ptr<SQLite::Database> db);
  ~SqliteSink() override;
  SqliteSink(const SqliteSink&) = delete;
  SqliteSink& operator=(const SqliteSink&) = delete;

  Status ping() override;
  SinkResult apply(const std::vector<Claim>& claims) override;
  SinkResult revoke(const std::vector<Claim>& claims) override;
  Status record(const std::vector<LedgerUpdate>& updates) override;

  SQLite::Database& database() { return *db_; }

 private:
  struct Statements;
  enum class Op { kApply, kRevoke, kRecord };
  SinkResult run(const std::vector<Claim>& claims, Op op);
  void apply_one(const Claim& c);
  void revoke_one(const Claim& c);
  void record_one(const Claim& c);

  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<Statements> stmts_;  // prepared on first use
};

}  // namespace claimsync::store

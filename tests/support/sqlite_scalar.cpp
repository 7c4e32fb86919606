#include "tests/support/sqlite_scalar.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <exception>

namespace claimsync::testing {

std::int64_t sqlite_scalar(const std::string& db, const std::string& sql) {
  try {
    SQLite::Database d(db, SQLite::OPEN_READONLY);
    d.setBusyTimeout(2'000);
    SQLite::Statement q(d, sql);
    return q.executeStep() ? q.getColumn(0).getInt64() : -1;
  } catch (const std::exception&) {
    return -1;  // not created / migrated yet
  }
}

std::string sqlite_text(const std::string& db, const std::string& sql) {
  try {
    SQLite::Database d(db, SQLite::OPEN_READONLY);
    d.setBusyTimeout(2'000);
    SQLite::Statement q(d, sql);
    return q.executeStep() && !q.getColumn(0).isNull() ? q.getColumn(0).getString() : "";
  } catch (const std::exception&) {
    return "";  // not created / migrated yet
  }
}

}  // namespace claimsync::testing

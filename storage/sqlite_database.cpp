#include "storage/sqlite_database.hpp"

#include <sqlite3.h>

namespace claimsync::store {

ErrorCode classify_sqlite_error(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL: return ErrorCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return ErrorCode::kCorruption;
    case SQLITE_ERROR:
    case SQLITE_SCHEMA: return ErrorCode::kFailedPrecondition;
    default: return ErrorCode::kInvalidArgument;
  }
}

Result<std::unique_ptr<SQLite::Database>> open_sqlite_database(
    const std::string& path, std::chrono::milliseconds busy_timeout) {
  std::unique_ptr<SQLite::Database> db;
  Status st = sqlite_call("open " + path, [&] {
    db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db->setBusyTimeout(static_cast<int>(busy_timeout.count()));
    db->exec("PRAGMA foreign_keys = ON");
    db->exec("PRAGMA journal_mode = WAL");
    db->exec("PRAGMA synchronous = FULL");
  });
  if (!st.ok()) return st;
  return db;
}

}  // namespace claimsync::store

#include "storage/sqlite_database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <thread>

namespace claimsync::store {

ErrorCode classify_sqlite_error(int code) {
  if (code < 0) return ErrorCode::kUnavailable;  // SQLiteCpp's own failures carry -1
  // Generic errors that are transient by nature: retry, do not call the schema broken.
  if (code == SQLITE_ERROR_RETRY || code == SQLITE_ERROR_SNAPSHOT) return ErrorCode::kUnavailable;
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG: return ErrorCode::kInvalidArgument;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return ErrorCode::kCorruption;
    case SQLITE_ERROR:
    case SQLITE_SCHEMA:
    case SQLITE_AUTH:
    case SQLITE_RANGE:
    case SQLITE_MISUSE: return ErrorCode::kFailedPrecondition;
    default: return ErrorCode::kUnavailable;  // busy, I/O, full, read-only, unknown, ...
  }
}

namespace {

bool is_lock_error(const SQLite::Exception& e) {
  const int code = e.getErrorCode() & 0xff;
  return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

// Switching a file to WAL needs an exclusive lock. When two processes open the same new
// file at once, each holds a shared lock while asking for the exclusive one; SQLite sees
// the deadlock and answers SQLITE_BUSY at once, without calling the busy handler. The
// switch is idempotent, so it is retried here (bounded by the busy timeout) until the
// other opener has finished.
void enable_wal(SQLite::Database& db, std::chrono::milliseconds busy_timeout) {
  const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
  std::chrono::milliseconds pause(2);
  for (;;) {
    try {
      db.exec("PRAGMA journal_mode = WAL");
      return;
    } catch (const SQLite::Exception& e) {
      if (!is_lock_error(e) || std::chrono::steady_clock::now() + pause > deadline) throw;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
}

}  // namespace

Result<std::unique_ptr<SQLite::Database>> open_sqlite_database(
    const std::string& path, std::chrono::milliseconds busy_timeout) {
  std::unique_ptr<SQLite::Database> db;
  Status st = sqlite_call("open " + path, [&] {
    db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db->setBusyTimeout(static_cast<int>(busy_timeout.count()));
    db->exec("PRAGMA foreign_keys = ON");
    enable_wal(*db, busy_timeout);
    db->exec("PRAGMA synchronous = FULL");
  });
  if (!st.ok()) return st;
  return db;
}

}  // namespace claimsync::store

// SQLite plumbing shared by the SQLite sink and the migration runner: opening a membership
// database file with the settings the sink relies on, and turning SQLiteCpp's exceptions
// into classified Status values (the same classes as storage/pg_connection.hpp):
//
//   kUnavailable        the default: SQLITE_BUSY / LOCKED (another writer held the lock
//                       past the busy timeout), IOERR, FULL, CANTOPEN, NOMEM, READONLY,
//                       PROTOCOL, PERM, ABORT, INTERRUPT, INTERNAL, NOLFS, ERROR_RETRY,
//                       ERROR_SNAPSHOT, and every code not listed here (incl. SQLiteCpp's -1)
//   kCorruption         SQLITE_CORRUPT, NOTADB
//   kFailedPrecondition SQLITE_ERROR (no such table / column: the schema is broken), SCHEMA,
//                       AUTH (denied by an authorizer), RANGE (a bind index our SQL does not
//                       have), MISUSE (our bug: pause, do not blame a claim)
//   kInvalidArgument    the data of ONE claim, an explicit list: SQLITE_CONSTRAINT (every
//                       extended code, incl. RAISE() in triggers), MISMATCH (datatype
//                       mismatch), TOOBIG (string or blob too big)
// Extended result codes classify as their primary code (code & 0xff).
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "rpc/status.hpp"

namespace claimsync::store {

// Opens (creating if absent) the file with foreign keys on, WAL journal, synchronous=FULL
// (a committed claim survives power loss: the node records `done` only after the commit)
// and a busy timeout, so concurrent writers wait instead of failing at once.
Result<std::unique_ptr<SQLite::Database>> open_sqlite_database(
    const std::string& path,
    std::chrono::milliseconds busy_timeout = std::chrono::milliseconds(10'000));

// The classification above for a SQLite primary or extended result code.
ErrorCode classify_sqlite_error(int sqlite_code);

// Runs `fn`, converting a SQLite::Exception into a classified Status prefixed by `what`.
template <typename Fn>
Status sqlite_call(const std::string& what, Fn&& fn) {
  try {
    std::forward<Fn>(fn)();
    return {};
  } catch (const SQLite::Exception& e) {
    return error(classify_sqlite_error(e.getErrorCode()), "sqlite: " + what + ": " + e.what());
  }
}

}  // namespace claimsync::store

// sqlite_scalar / sqlite_text: the first column of the first row of `sql` on the SQLite file `db`,
// opened read-only with a 2 s busy timeout, for tests that poll a node's SQLite sink.
//
// Returns -1 when the file, the table or a row is not there yet (a node still migrating),
// so a wait on a count simply goes on; a real mismatch is left to the caller's check.
#pragma once

#include <cstdint>
#include <string>

namespace claimsync::testing {

std::int64_t sqlite_scalar(const std::string& db, const std::string& sql);
// The same as text: "" when not there yet or NULL.
std::string sqlite_text(const std::string& db, const std::string& sql);

}  // namespace claimsync::testing

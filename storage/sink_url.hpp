// SinkUrl: which membership database a `sink.url` names.
//   postgres://user:pass@host:port/db?... or postgresql://...  -> Postgres (libpq URI)
//   sqlite:PATH (also sqlite://PATH)                             -> SQLite file PATH
#pragma once

#include <string>

#include "rpc/status.hpp"

namespace claimsync::store {

enum class SqlDialect { kPostgres, kSqlite };
const char* sql_dialect_name(SqlDialect d);  // "postgres" / "sqlite" (the migrations folder)

struct SinkUrl {
  SqlDialect dialect = SqlDialect::kSqlite;
  std::string target;  // the libpq URI as given, or the SQLite file path
};

// kInvalidArgument for an unknown scheme or an empty SQLite path (the message never
// repeats the URL, which may hold a password).
Result<SinkUrl> parse_sink_url(const std::string& url);

}  // namespace claimsync::store

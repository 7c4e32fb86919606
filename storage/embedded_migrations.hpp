// The migration files compiled into the binary (generated at build time from
// migrations/{postgres,sqlite}/*.sql by migrations/embed_migrations.cmake), so an installed
// `claimsync` needs no SQL files next to it. Use embedded_migrations() in
// storage/migration_runner.hpp rather than this table.
#pragma once

#include <cstddef>

namespace claimsync::store {

struct EmbeddedMigrationFile {
  const char* dialect;    // "postgres" or "sqlite" (the folder)
  const char* file_name;  // "001_membership_tables.sql"
  const char* sql;        // the file's bytes, NUL-terminated
  std::size_t size;       // bytes, without the NUL
};

extern const EmbeddedMigrationFile kEmbeddedMigrationFiles[];  // sorted by dialect, name
extern const std::size_t kEmbeddedMigrationFileCount;

}  // namespace claimsync::store

// Raw COPY of claimsync's sink tables between PostgreSQL databases: the floor a sink is
// compared with (bench/e2e_bench.cpp, bench/sink_bench.cpp).
//
//   std::vector<std::string> rows = copy_out_tables(src);      // untimed export
//   copy_in_tables(dst, rows);                                 // BEGIN; COPY x4; COMMIT
//
// Errors throw std::runtime_error naming the table and the server's message.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <utility>
#include <vector>

namespace claimsync::testing {

// The sink tables in foreign-key order, with every column (COPY moves the exact rows).
const std::vector<std::pair<std::string, std::string>>& sink_tables();

// COPY (SELECT columns FROM table) TO STDOUT: the rows in COPY text format.
std::string copy_out(PGconn* conn, const std::string& table, const std::string& columns);
// COPY table (columns) FROM STDIN with `data` (COPY text format), in 1 MiB chunks.
void copy_in(PGconn* conn, const std::string& table, const std::string& columns,
             const std::string& data);

// Every table of sink_tables(), in order (one string per table).
std::vector<std::string> copy_out_tables(PGconn* conn);
// All of them in one transaction (BEGIN ... COMMIT); `data` as from copy_out_tables().
void copy_in_tables(PGconn* conn, const std::vector<std::string>& data);

// Number of rows in COPY text data.
std::size_t copy_rows(const std::string& data);

}  // namespace claimsync::testing

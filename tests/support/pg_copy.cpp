#include "tests/support/pg_copy.hpp"

#include <algorithm>
#include <stdexcept>

namespace claimsync::testing {

namespace {

void exec_ok(PGconn* conn, const char* sql) {
  PGresult* r = PQexec(conn, sql);
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) throw std::runtime_error(std::string(sql) + ": " + PQerrorMessage(conn));
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& sink_tables() {
  static const std::vector<std::pair<std::string, std::string>> tables = {
      {"users", "wallet_address, referrer_wallet, created_at"},
      {"members",
       "wallet_address, current_level, activated_at, referrer_wallet, created_at, updated_at"},
      {"membership", "wallet_address, nft_level, activated_at, claim_key, tx_hash, created_at"},
      {"claim_sync_queue",
       "claim_key, chain_id, tx_hash, log_index, batch_index, wallet_address, level, amount, "
       "block_number, block_hash, block_time, referrer_wallet, status, attempts, error_message, "
       "source, created_at, updated_at, completed_at, revoked_at"},
  };
  return tables;
}

std::string copy_out(PGconn* conn, const std::string& table, const std::string& columns) {
  const std::string sql = "COPY (SELECT " + columns + " FROM " + table + ") TO STDOUT";
  PGresult* r = PQexec(conn, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COPY_OUT;
  PQclear(r);
  if (!ok) throw std::runtime_error("COPY TO " + table + ": " + PQerrorMessage(conn));
  std::string data;
  char* buf = nullptr;
  int n = 0;
  while ((n = PQgetCopyData(conn, &buf, 0)) > 0) {
    data.append(buf, static_cast<std::size_t>(n));
    PQfreemem(buf);
  }
  bool failed = n == -2;
  while ((r = PQgetResult(conn)) != nullptr) {
    failed = failed || PQresultStatus(r) != PGRES_COMMAND_OK;
    PQclear(r);
  }
  if (failed) throw std::runtime_error("COPY TO " + table + ": " + PQerrorMessage(conn));
  return data;
}

void copy_in(PGconn* conn, const std::string& table, const std::string& columns,
             const std::string& data) {
  const std::string sql = "COPY " + table + " (" + columns + ") FROM STDIN";
  PGresult* r = PQexec(conn, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COPY_IN;
  PQclear(r);
  if (!ok) throw std::runtime_error("COPY FROM " + table + ": " + PQerrorMessage(conn));
  constexpr std::size_t kChunk = 1 << 20;
  for (std::size_t off = 0; off < data.size(); off += kChunk) {
    const std::size_t len = std::min(kChunk, data.size() - off);
    if (PQputCopyData(conn, data.data() + off, static_cast<int>(len)) != 1)
      throw std::runtime_error("PQputCopyData " + table + ": " + PQerrorMessage(conn));
  }
  if (PQputCopyEnd(conn, nullptr) != 1)
    throw std::runtime_error("PQputCopyEnd " + table + ": " + PQerrorMessage(conn));
  bool failed = false;
  while ((r = PQgetResult(conn)) != nullptr) {
    failed = failed || PQresultStatus(r) != PGRES_COMMAND_OK;
    PQclear(r);
  }
  if (failed) throw std::runtime_error("COPY FROM " + table + ": " + PQerrorMessage(conn));
}

std::vector<std::string> copy_out_tables(PGconn* conn) {
  std::vector<std::string> data;
  for (const auto& [table, columns] : sink_tables()) data.push_back(copy_out(conn, table, columns));
  return data;
}

void copy_in_tables(PGconn* conn, const std::vector<std::string>& data) {
  const auto& tables = sink_tables();
  if (data.size() != tables.size()) throw std::invalid_argument("copy_in_tables: one per table");
  exec_ok(conn, "BEGIN");
  for (std::size_t i = 0; i < tables.size(); ++i)
    copy_in(conn, tables[i].first, tables[i].second, data[i]);
  exec_ok(conn, "COMMIT");
}

std::size_t copy_rows(const std::string& data) {
  return static_cast<std::size_t>(std::count(data.begin(), data.end(), '\n'));
}

}  // namespace claimsync::testing

#include "node/reconcile/origin_queue_table.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>

#include "storage/pg_connection.hpp"
#include "storage/sink_url.hpp"
#include "storage/sqlite_database.hpp"

namespace claimsync::node {
namespace {

constexpr std::size_t kMaxIdentifier = 63;  // Postgres' NAMEDATALEN - 1

bool identifier_char(char c, bool first) {
  const auto u = static_cast<unsigned char>(c);
  if (std::isalpha(u) || c == '_') return true;
  return !first && (std::isdigit(u) || c == '$');
}

// What the table holds of the two columns that matter; kNotFound when there is no table.
struct Columns {
  bool tx_hash = false;
  bool claim_key = false;  // claimsync's own ledger
};

Status check_columns(const std::string& table, const std::optional<Columns>& cols) {
  if (!cols) {
    return error(ErrorCode::kNotFound,
                 "no table " + table +
                     " in the database sink.url names: give the name the origin's "
                     "claim_sync_queue was renamed to (e.g. claim_sync_queue_old), "
                     "schema-qualified if it is not on the search path");
  }
  if (cols->claim_key) {
    return error(ErrorCode::kInvalidArgument,
                 table +
                     " has a claim_key column: it is claimsync's own ledger, not the "
                     "origin's queue; give the renamed origin table");
  }
  if (!cols->tx_hash) {
    return error(ErrorCode::kFailedPrecondition,
                 table + " has no tx_hash column: it is not an origin claim_sync_queue");
  }
  return {};
}

using RowFn = std::function<void(std::optional<std::string_view>)>;

Status read_postgres(const std::string& url, std::vector<std::string> parts,
                     const std::string& table, std::int64_t timeout_ms, const RowFn& row) {
  auto conn = store::PgConnection::connect(url, {timeout_ms, nullptr});
  if (!conn.ok()) return conn.status().with_context("sink");
  std::string quoted;
  for (std::string& part : parts) {
    // Unquoted SQL names fold to lower case; quoting keeps the folded name exactly.
    std::transform(part.begin(), part.end(), part.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    char* q = PQescapeIdentifier(conn->raw(), part.data(), part.size());
    if (q == nullptr) {
      return error(ErrorCode::kInvalidArgument,
                   "table name " + table + ": " + PQerrorMessage(conn->raw()));
    }
    quoted += (quoted.empty() ? "" : ".") + std::string(q);
    PQfreemem(q);
  }
  auto begin = conn->exec("BEGIN READ ONLY");
  if (!begin.ok()) return begin.status().with_context("sink");
  auto cols = conn->exec_params(
      "SELECT c IS NOT NULL,"
      " EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = c AND attname = 'tx_hash'"
      " AND attnum > 0 AND NOT attisdropped),"
      " EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = c AND attname = 'claim_key'"
      " AND attnum > 0 AND NOT attisdropped)"
      " FROM (SELECT to_regclass($1) AS c) t",
      {quoted});
  if (!cols.ok()) return cols.status().with_context("sink: columns of " + table);
  std::optional<Columns> found;
  if (cols->rows() == 1 && cols->value(0, 0) == "t")
    found = Columns{cols->value(0, 1) == "t", cols->value(0, 2) == "t"};
  if (Status st = check_columns(table, found); !st.ok()) return st;
  auto rows = conn->exec("SELECT tx_hash::text FROM " + quoted);
  (void)conn->exec("COMMIT");  // read only: nothing to keep
  if (!rows.ok()) return rows.status().with_context("sink: " + table);
  for (int i = 0; i < rows->rows(); ++i)
    row(rows->is_null(i, 0) ? std::nullopt : std::optional(rows->value(i, 0)));
  return {};
}

Status read_sqlite(const std::string& path, const std::vector<std::string>& parts,
                   const std::string& table, const RowFn& row) {
  auto db = store::open_sqlite_database(path);
  if (!db.ok()) return db.status().with_context("sink");
  const std::string schema = parts.size() == 2 ? parts[0] : "main";
  const std::string& name = parts.back();
  std::optional<Columns> found;
  std::vector<std::optional<std::string>> values;
  Status st = store::sqlite_call("read " + table, [&] {
    SQLite::Transaction tx(**db, SQLite::TransactionBehavior::DEFERRED);
    SQLite::Statement cols(**db, "SELECT name FROM pragma_table_info(?1, ?2)");
    cols.bind(1, name);
    cols.bind(2, schema);
    while (cols.executeStep()) {
      if (!found) found = Columns{};
      const std::string c = cols.getColumn(0).getString();
      found->tx_hash |= c == "tx_hash";
      found->claim_key |= c == "claim_key";
    }
    if (!check_columns(table, found).ok()) return;
    // Both parts passed parse_table_name: plain identifiers, safe inside double quotes.
    SQLite::Statement q(**db,
                        "SELECT CAST(tx_hash AS TEXT) FROM \"" + schema + "\".\"" + name + "\"");
    while (q.executeStep()) {
      if (q.getColumn(0).isNull()) {
        values.emplace_back(std::nullopt);
      } else {
        values.emplace_back(q.getColumn(0).getString());
      }
    }
    tx.commit();
  });
  if (!st.ok()) return st;
  if (Status cols_st = check_columns(table, found); !cols_st.ok()) return cols_st;
  for (const auto& v : values) row(v ? std::optional<std::string_view>(*v) : std::nullopt);
  return {};
}

}  // namespace

Result<std::vector<std::string>> parse_table_name(std::string_view table) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = table.find('.', start);
    parts.emplace_back(table.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() > 2) {
    return error(ErrorCode::kInvalidArgument,
                 "table name '" + std::string(table) + "': at most schema.name");
  }
  for (const std::string& p : parts) {
    bool ok = !p.empty() && p.size() <= kMaxIdentifier;
    for (std::size_t i = 0; ok && i < p.size(); ++i) ok = identifier_char(p[i], i == 0);
    if (!ok) {
      return error(ErrorCode::kInvalidArgument,
                   "table name '" + std::string(table) +
                       "': each part must be a plain SQL name (letters, digits, _ or $, not "
                       "starting with a digit, at most 63 characters)");
    }
  }
  return parts;
}

Status read_origin_queue(const std::string& sink_url, const std::string& table,
                         std::int64_t call_timeout_ms, const RowFn& row) {
  auto parts = parse_table_name(table);
  if (!parts.ok()) return parts.status();
  auto url = store::parse_sink_url(sink_url);
  if (!url.ok()) return url.status().with_context("sink.url");
  if (url->dialect == store::SqlDialect::kPostgres)
    return read_postgres(url->target, std::move(parts).value(), table, call_timeout_ms, row);
  return read_sqlite(url->target, *parts, table, row);
}

}  // namespace claimsync::node

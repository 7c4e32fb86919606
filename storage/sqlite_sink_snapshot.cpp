// read_sqlite_snapshot: the three snapshot queries in one deferred (read) transaction, so
// the tables are read as of one moment (WAL: a writer does not block it).
#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/sink_snapshot.hpp"
#include "storage/sqlite_database.hpp"

namespace claimsync::store {
namespace {

std::vector<SnapshotText::Row> rows_of(SQLite::Statement& q) {
  std::vector<SnapshotText::Row> rows;
  while (q.executeStep()) {
    SnapshotText::Row row;
    for (int j = 0; j < q.getColumnCount(); ++j) {
      if (q.getColumn(j).isNull()) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(q.getColumn(j).getString());
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

Result<SinkSnapshot> read_sqlite_snapshot(SQLite::Database& db, std::uint64_t chain_id) {
  SnapshotText text;
  Status st = sqlite_call("snapshot", [&] {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::DEFERRED);
    SQLite::Statement ledger(db, kSnapshotLedgerSql);  // $1 binds as parameter 1
    ledger.bind(1, static_cast<std::int64_t>(chain_id));
    text.ledger = rows_of(ledger);
    SQLite::Statement membership(db, kSnapshotMembershipSql);
    text.membership = rows_of(membership);
    SQLite::Statement members(db, kSnapshotMembersSql);
    text.members = rows_of(members);
    tx.commit();
  });
  if (!st.ok()) return st;
  return snapshot_from_text(text);
}

}  // namespace claimsync::store

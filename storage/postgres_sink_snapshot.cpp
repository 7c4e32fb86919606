// read_postgres_snapshot: the three snapshot queries in one REPEATABLE READ READ ONLY
// transaction, so the tables are read as of one moment while the node may be writing.
#include "storage/pg_connection.hpp"
#include "storage/sink_snapshot.hpp"

namespace claimsync::store {
namespace {

Result<std::vector<SnapshotText::Row>> rows_of(Result<PgResult> r) {
  if (!r.ok()) return r.status();
  std::vector<SnapshotText::Row> rows;
  rows.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    SnapshotText::Row row;
    for (int j = 0; j < r->columns(); ++j) {
      if (r->is_null(i, j)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(r->value(i, j)));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<SnapshotText> read_text(PgConnection& conn, std::uint64_t chain_id) {
  SnapshotText text;
  auto ledger = rows_of(conn.exec_params(kSnapshotLedgerSql, {std::to_string(chain_id)}));
  if (!ledger.ok()) return ledger.status().with_context("claim_sync_queue");
  text.ledger = std::move(*ledger);
  auto membership = rows_of(conn.exec(kSnapshotMembershipSql));
  if (!membership.ok()) return membership.status().with_context("membership");
  text.membership = std::move(*membership);
  auto members = rows_of(conn.exec(kSnapshotMembersSql));
  if (!members.ok()) return members.status().with_context("members");
  text.members = std::move(*members);
  return text;
}

}  // namespace

Result<SinkSnapshot> read_postgres_snapshot(PgConnection& conn, std::uint64_t chain_id) {
  auto begin = conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!begin.ok()) return begin.status().with_context("begin snapshot");
  Result<SnapshotText> text = read_text(conn, chain_id);
  // Read-only: ROLLBACK and COMMIT are the same; a failed one leaves nothing behind.
  (void)conn.exec(text.ok() ? "COMMIT" : "ROLLBACK");
  if (!text.ok()) return text.status();
  return snapshot_from_text(*text);
}

}  // namespace claimsync::store

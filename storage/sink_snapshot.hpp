// SinkSnapshot: the read side of a membership sink, for the reconciler (issue 14). What
// the sink holds for claimsync's own chain, as plain rows: the ledger (claim_sync_queue)
// rows of that chain, every membership row (with the claim that created it, if claimsync
// did) and every members row. Implemented for Postgres and SQLite alike; proven alike by
// check_snapshot in tests/support/sink_conformance.hpp.
//
// Contract:
//   * One read transaction (Postgres: REPEATABLE READ READ ONLY; SQLite: one deferred
//     transaction), so the three tables are of one moment.
//   * Writes nothing. Bounded by SinkOptions::call_timeout_ms like the sink's calls.
//   * Rows whose wallet, level or claim key does not parse (written by someone else) are
//     not returned; they are counted in `unreadable_rows`.
//   * Failures: kUnavailable / kTimeout (the database cannot be read now),
//     kFailedPrecondition (the schema is missing: run `claimsync migrate`).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rpc/address.hpp"
#include "rpc/status.hpp"
#include "storage/claim.hpp"
#include "storage/membership_sink.hpp"

namespace SQLite {
class Database;
}

namespace claimsync::store {

class PgConnection;

struct LedgerRow {
  ClaimKey key;
  std::string status;  // "done", "pending", ... as the sink holds it
  eth::Address wallet;
  std::uint32_t level = 0;
};

struct MembershipRow {
  eth::Address wallet;
  std::uint32_t level = 0;
  // The claim that created the row; nullopt: not created by claimsync (never ours to judge).
  std::optional<ClaimKey> claim_key;
};

struct MemberRow {
  eth::Address wallet;
  std::int64_t current_level = 0;
};

struct SinkSnapshot {
  std::vector<LedgerRow> ledger;          // chain_id == the one asked for, key order
  std::vector<MembershipRow> membership;  // (wallet, level) order
  std::vector<MemberRow> members;         // wallet order
  std::uint64_t unreadable_rows = 0;
};

class SinkSnapshotReader {
 public:
  virtual ~SinkSnapshotReader() = default;
  virtual Result<SinkSnapshot> read(std::uint64_t chain_id) = 0;
};

// A reader on the database `url` names (as open_sink). Does not migrate.
Result<std::unique_ptr<SinkSnapshotReader>> open_sink_snapshot_reader(
    const std::string& url, const SinkOptions& options = {});

// The three queries both implementations run, and how their text rows become a snapshot.
struct SnapshotText {
  using Row = std::vector<std::optional<std::string>>;  // nullopt = SQL NULL
  std::vector<Row> ledger;                              // claim_key, status, wallet_address, level
  std::vector<Row> membership;                          // wallet_address, nft_level, claim_key
  std::vector<Row> members;                             // wallet_address, current_level
};
extern const char* const kSnapshotLedgerSql;  // one parameter: the chain id
extern const char* const kSnapshotMembershipSql;
extern const char* const kSnapshotMembersSql;
SinkSnapshot snapshot_from_text(const SnapshotText& text);

// The two implementations, over an open connection / database (not owned).
Result<SinkSnapshot> read_postgres_snapshot(PgConnection& conn, std::uint64_t chain_id);
Result<SinkSnapshot> read_sqlite_snapshot(SQLite::Database& db, std::uint64_t chain_id);

}  // namespace claimsync::store

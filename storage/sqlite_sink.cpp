#include "storage/sqlite_sink.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include "rpc/logging.hpp"
#include "storage/claim_row.hpp"
#include "storage/sqlite_database.hpp"

namespace claimsync::store {
namespace {

#define CLAIMSYNC_NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
#define CLAIMSYNC_UNIX(p) "strftime('%Y-%m-%dT%H:%M:%fZ', " p ", 'unixepoch')"

// Ledger row from ?1..?16 (the ClaimRow columns, see bind_row) with status `status`.
std::string ledger_insert(const std::string& status) {
  return "INSERT INTO claim_sync_queue AS q (claim_key, chain_id, tx_hash, log_index, batch_index,"
         " wallet_address, level, amount, block_number, block_hash, block_time, referrer_wallet,"
         " status, attempts, error_message, source, completed_at, revoked_at)"
         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, " CLAIMSYNC_UNIX("?11") ", ?12, " +
         status + ", ?14, ?15, ?16, CASE WHEN " + status +
         " = 'done' THEN " CLAIMSYNC_NOW " END, CASE WHEN " + status +
         " = 'revoked' THEN " CLAIMSYNC_NOW
         " END)"
         " ON CONFLICT (claim_key) DO UPDATE SET ";
}

const std::string kLedgerApply =
    ledger_insert("'done'") +
    "block_number = excluded.block_number, block_hash = excluded.block_hash,"
    " block_time = excluded.block_time,"
    " referrer_wallet = coalesce(q.referrer_wallet, excluded.referrer_wallet),"
    " status = 'done', attempts = excluded.attempts, error_message = excluded.error_message,"
    " source = excluded.source, updated_at = " CLAIMSYNC_NOW ", completed_at = " CLAIMSYNC_NOW
    ", revoked_at = NULL WHERE q.status <> 'done'";

const std::string kLedgerRevoke = ledger_insert("'revoked'") +
                                  "status = 'revoked', updated_at = " CLAIMSYNC_NOW
                                  ", revoked_at = " CLAIMSYNC_NOW " WHERE q.status <> 'revoked'";

const std::string kLedgerRecord =
    ledger_insert("?13") +
    "status = excluded.status, attempts = excluded.attempts,"
    " error_message = excluded.error_message, source = excluded.source,"
    " updated_at = " CLAIMSYNC_NOW
    " WHERE (q.status IN ('pending', 'retrying', 'dead', 'orphaned', 'revoking')"
    "        OR (q.status = 'done' AND excluded.status = 'revoking'))"
    "   AND (q.status, q.attempts, q.error_message, q.source) IS NOT"
    "       (excluded.status, excluded.attempts, excluded.error_message, excluded.source)";

// ?1 claim key, ?2 block hash, ?3 block number, ?4 block time (unix): 1 when the ledger has
// the claim in another block, not revoked (mined again elsewhere after a reorg before its
// revoke reached the sink; 'revoking' / 'pending' mirrors of such a claim included).
constexpr const char* kMoved =
    "SELECT count(*) FROM claim_sync_queue WHERE claim_key = ?1 AND status <> 'revoked'"
    " AND (block_hash, block_number, block_time) IS NOT (?2, ?3, " CLAIMSYNC_UNIX("?4") ")";

// ?1 wallet, ?2 referrer
constexpr const char* kUsers =
    "INSERT INTO users AS u (wallet_address, referrer_wallet) VALUES (?1, ?2)"
    " ON CONFLICT (wallet_address) DO UPDATE SET referrer_wallet = excluded.referrer_wallet"
    " WHERE u.referrer_wallet IS NULL AND excluded.referrer_wallet IS NOT NULL";

// ?1 wallet, ?2 level, ?3 block time (unix), ?4 referrer
constexpr const char* kMembers =
    "INSERT INTO members AS m (wallet_address, current_level, activated_at, referrer_wallet)"
    " VALUES (?1, ?2, " CLAIMSYNC_UNIX("?3") ", ?4)"
    " ON CONFLICT (wallet_address) DO UPDATE SET"
    " current_level = max(coalesce(m.current_level, 0), excluded.current_level),"
    " activated_at = min(coalesce(m.activated_at, excluded.activated_at), excluded.activated_at),"
    " referrer_wallet = coalesce(m.referrer_wallet, excluded.referrer_wallet),"
    " updated_at = " CLAIMSYNC_NOW
    " WHERE (m.current_level, m.activated_at, m.referrer_wallet) IS NOT"
    " (max(coalesce(m.current_level, 0), excluded.current_level),"
    "  min(coalesce(m.activated_at, excluded.activated_at), excluded.activated_at),"
    "  coalesce(m.referrer_wallet, excluded.referrer_wallet))";

// ?1 wallet, ?2 level, ?3 block time (unix), ?4 claim key, ?5 tx hash
constexpr const char* kMembership =
    "INSERT INTO membership AS ms (wallet_address, nft_level, activated_at, claim_key, tx_hash)"
    " VALUES (?1, ?2, " CLAIMSYNC_UNIX("?3") ", ?4, ?5)"
    " ON CONFLICT (wallet_address, nft_level) DO UPDATE SET"
    " activated_at = excluded.activated_at, claim_key = excluded.claim_key, tx_hash = excluded.tx_hash"
    " WHERE ms.claim_key IS NOT NULL"
    "   AND (excluded.activated_at, excluded.claim_key) < (ms.activated_at, ms.claim_key)";

// ?1 revoked claim key: its membership row goes to the earliest remaining 'done' claim ...
constexpr const char* kReassign =
    "UPDATE membership SET (activated_at, claim_key, tx_hash) ="
    " (SELECT q.block_time, q.claim_key, q.tx_hash FROM claim_sync_queue q"
    "  WHERE q.status = 'done' AND q.wallet_address = membership.wallet_address"
    "    AND q.level = membership.nft_level ORDER BY q.block_time, q.claim_key LIMIT 1)"
    " WHERE claim_key = ?1 AND EXISTS (SELECT 1 FROM claim_sync_queue q"
    "  WHERE q.status = 'done' AND q.wallet_address = membership.wallet_address"
    "    AND q.level = membership.nft_level)";

// ... or, with none left, is deleted.
constexpr const char* kDeleteMembership = "DELETE FROM membership WHERE claim_key = ?1";

// ?1 wallet whose membership rows changed: members follows its remaining rows
// (current_level = max, activated_at = min, kept if no remaining row has one) ...
constexpr const char* kRecomputeMember =
    "UPDATE members SET"
    " current_level = (SELECT max(nft_level) FROM membership ms"
    "                  WHERE ms.wallet_address = members.wallet_address),"
    " activated_at = coalesce((SELECT min(activated_at) FROM membership ms"
    "                          WHERE ms.wallet_address = members.wallet_address), activated_at),"
    " updated_at = " CLAIMSYNC_NOW
    " WHERE wallet_address = ?1"
    "   AND EXISTS (SELECT 1 FROM membership ms WHERE ms.wallet_address = ?1)"
    "   AND (current_level, activated_at) IS NOT"
    " ((SELECT max(nft_level) FROM membership ms"
    "   WHERE ms.wallet_address = members.wallet_address),"
    "  coalesce((SELECT min(activated_at) FROM membership ms"
    "            WHERE ms.wallet_address = members.wallet_address), activated_at))";

// ... or, left without membership rows, is no longer a member (users stays).
constexpr const char* kDeleteMember =
    "DELETE FROM members WHERE wallet_address = ?1"
    " AND NOT EXISTS (SELECT 1 FROM membership ms WHERE ms.wallet_address = ?1)";

void bind_optional(SQLite::Statement& s, int index, const std::optional<std::string>& v) {
  if (v) {
    s.bind(index, *v);
  } else {
    s.bind(index);
  }
}

std::int64_t as_int(std::uint64_t v) { return static_cast<std::int64_t>(v); }

// ?1..?16 in ClaimRow order.
void bind_row(SQLite::Statement& s, const ClaimRow& r) {
  s.bind(1, r.claim_key);
  s.bind(2, as_int(r.chain_id));
  s.bind(3, r.tx_hash);
  s.bind(4, as_int(r.log_index));
  s.bind(5, as_int(r.batch_index));
  s.bind(6, r.wallet);
  s.bind(7, as_int(r.level));
  s.bind(8, r.amount);
  s.bind(9, as_int(r.block_number));
  s.bind(10, r.block_hash);
  s.bind(11, as_int(r.block_time));
  bind_optional(s, 12, r.referrer);
  s.bind(13, r.status);
  s.bind(14, as_int(r.attempts));
  bind_optional(s, 15, r.error);
  s.bind(16, r.source);
}

// Resets a cached statement for its next use (also after a failed step).
SQLite::Statement& fresh(SQLite::Statement& s) {
  s.tryReset();  // reset() would rethrow the error of a failed last step
  s.clearBindings();
  return s;
}

}  // namespace

struct SqliteSink::Statements {
  explicit Statements(SQLite::Database& db)
      : moved(db, kMoved),
        ledger_apply(db, kLedgerApply),
        ledger_revoke(db, kLedgerRevoke),
        ledger_record(db, kLedgerRecord),
        users(db, kUsers),
        members(db, kMembers),
        membership(db, kMembership),
        reassign(db, kReassign),
        delete_membership(db, kDeleteMembership),
        recompute_member(db, kRecomputeMember),
        delete_member(db, kDeleteMember),
        savepoint(db, "SAVEPOINT claim"),
        rollback_to(db, "ROLLBACK TO SAVEPOINT claim"),
        release(db, "RELEASE SAVEPOINT claim") {}
  SQLite::Statement moved, ledger_apply, ledger_revoke, ledger_record, users, members, membership,
      reassign, delete_membership, recompute_member, delete_member, savepoint, rollback_to, release;
};

Result<std::unique_ptr<SqliteSink>> SqliteSink::open(const std::string& path) {
  auto db = open_sqlite_database(path);
  if (!db.ok()) return db.status();
  return std::make_unique<SqliteSink>(std::move(db).value());
}

SqliteSink::SqliteSink(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}
SqliteSink::~SqliteSink() = default;

Status SqliteSink::ping() {
  return sqlite_call("ping", [&] { db_->execAndGet("SELECT 1"); });
}

void SqliteSink::apply_one(const Claim& c) {
  const ClaimRow r = ClaimRow::from(c);
  SQLite::Statement& moved = fresh(stmts_->moved);
  moved.bind(1, r.claim_key);
  moved.bind(2, r.block_hash);
  moved.bind(3, as_int(r.block_number));
  moved.bind(4, as_int(r.block_time));
  // In another block than the sink has it: remove what the old block created first, so
  // the tables are as if the claim had only ever been in its new block.
  const bool in_other_block = moved.executeStep() && moved.getColumn(0).getInt() > 0;
  moved.tryReset();
  if (in_other_block) revoke_one(c);
  SQLite::Statement& ledger = fresh(stmts_->ledger_apply);
  bind_row(ledger, r);
  ledger.exec();
  SQLite::Statement& users = fresh(stmts_->users);
  users.bind(1, r.wallet);
  bind_optional(users, 2, r.referrer);
  users.exec();
  SQLite::Statement& members = fresh(stmts_->members);
  members.bind(1, r.wallet);
  members.bind(2, as_int(r.level));
  members.bind(3, as_int(r.block_time));
  bind_optional(members, 4, r.referrer);
  members.exec();
  SQLite::Statement& membership = fresh(stmts_->membership);
  membership.bind(1, r.wallet);
  membership.bind(2, as_int(r.level));
  membership.bind(3, as_int(r.block_time));
  membership.bind(4, r.claim_key);
  membership.bind(5, r.tx_hash);
  membership.exec();
}

void SqliteSink::revoke_one(const Claim& c) {
  const ClaimRow r = ClaimRow::from(c);
  SQLite::Statement& ledger = fresh(stmts_->ledger_revoke);
  bind_row(ledger, r);
  ledger.exec();
  int changed = 0;  // membership rows of the wallet moved or deleted
  for (SQLite::Statement* s : {&stmts_->reassign, &stmts_->delete_membership}) {
    fresh(*s).bind(1, r.claim_key);
    changed += s->exec();
  }
  if (changed == 0) return;  // e.g. a claim that never reached the sink: ledger row only
  for (SQLite::Statement* s : {&stmts_->recompute_member, &stmts_->delete_member}) {
    fresh(*s).bind(1, r.wallet);
    s->exec();
  }
}

void SqliteSink::record_one(const Claim& c) {
  SQLite::Statement& ledger = fresh(stmts_->ledger_record);
  bind_row(ledger, ClaimRow::from(c));
  ledger.exec();
}

SinkResult SqliteSink::run(const std::vector<Claim>& claims, Op op) {
  SinkResult result;
  if (claims.empty()) return result;
  Status whole_call;  // a non-claim failure: the transaction rolls back
  result.status = sqlite_call("transaction", [&] {
    if (!stmts_) stmts_ = std::make_unique<Statements>(*db_);
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    for (const Claim& c : claims) {
      fresh(stmts_->savepoint).exec();
      Status st = sqlite_call(c.key.to_string(), [&] {
        switch (op) {
          case Op::kApply: apply_one(c); break;
          case Op::kRevoke: revoke_one(c); break;
          case Op::kRecord: record_one(c); break;
        }
      });
      if (st.code() == ErrorCode::kInvalidArgument) {
        fresh(stmts_->rollback_to).exec();
        result.rejected.push_back({c.key, st.message()});
      } else if (!st.ok()) {
        whole_call = st;
        return;  // ~Transaction rolls back
      }
      fresh(stmts_->release).exec();
    }
    tx.commit();
  });
  if (!whole_call.ok()) result.status = whole_call;
  if (!result.status.ok()) result.rejected.clear();  // nothing committed
  if (!result.rejected.empty()) {
    log_warn("sink_rejected_claims",
             {{"rejected", result.rejected.size()}, {"claims", claims.size()}});
  }
  return result;
}

SinkResult SqliteSink::apply(const std::vector<Claim>& claims) { return run(claims, Op::kApply); }

SinkResult SqliteSink::revoke(const std::vector<Claim>& claims) { return run(claims, Op::kRevoke); }

Status SqliteSink::record(const std::vector<LedgerUpdate>& updates) {
  std::vector<Claim> mirrored;
  for (const auto& u : updates) {
    // done / revoked are written by apply() / revoke() together with the membership rows.
    if (u.claim.state == ClaimState::kDone || u.claim.state == ClaimState::kRevoked) continue;
    mirrored.push_back(u.claim);
  }
  SinkResult r = run(mirrored, Op::kRecord);
  if (!r.status.ok()) return r.status;
  if (!r.rejected.empty()) {
    return error(ErrorCode::kInvalidArgument,
                 "ledger update rejected: " + r.rejected.front().error);
  }
  return {};
}

}  // namespace claimsync::store

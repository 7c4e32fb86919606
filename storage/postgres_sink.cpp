#include "storage/postgres_sink.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "rpc/logging.hpp"
#include "storage/claim_row.hpp"

namespace claimsync::store {
namespace {

// The claims of a call as 16 array parameters, one row per claim (see kInput).
constexpr const char* kInput = R"SQL(
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::int[], $5::int[], $6::text[],
                       $7::int[], $8::text[], $9::bigint[], $10::text[], $11::bigint[],
                       $12::text[], $13::text[], $14::int[], $15::text[], $16::text[])
    AS t(claim_key, chain_id, tx_hash, log_index, batch_index, wallet_address, level, amount,
         block_number, block_hash, block_seconds, referrer_wallet, status, attempts,
         error_message, source)
), claims AS (  -- one row per claim key: a call may repeat a claim
  SELECT DISTINCT ON (claim_key) *, to_timestamp(block_seconds) AS block_time
  FROM input ORDER BY claim_key
))SQL";

// INSERT of the ledger rows with status `status_sql` (a column or a literal) from the CTE
// `source`; the caller appends its ON CONFLICT action.
std::string ledger_insert(const std::string& status_sql, const std::string& source = "claims") {
  return R"SQL(
INSERT INTO claim_sync_queue AS q
  (claim_key, chain_id, tx_hash, log_index, batch_index, wallet_address, level, amount,
   block_number, block_hash, block_time, referrer_wallet, status, attempts, error_message,
   source, completed_at, revoked_at)
SELECT claim_key, chain_id, tx_hash, log_index, batch_index, wallet_address, level, amount,
       block_number, block_hash, block_time, referrer_wallet, )SQL" +
         status_sql + R"SQL(, attempts, error_message, source,
       CASE WHEN )SQL" +
         status_sql + R"SQL( = 'done' THEN now() END,
       CASE WHEN )SQL" +
         status_sql + R"SQL( = 'revoked' THEN now() END
FROM )SQL" +
         source + R"SQL(
ON CONFLICT (claim_key) DO UPDATE SET )SQL";
}

// Claims the ledger has in another block and not revoked (the same claim mined again
// elsewhere after a reorg, before its revoke reached the sink; the ledger may mirror it as
// 'revoking' or 'pending' meanwhile) are left out and returned: the caller revokes the old
// block's rows and applies them again (apply_step).
const std::string kApplySql = std::string(kInput) + R"SQL(, moved AS (
  SELECT c.claim_key FROM claims c JOIN claim_sync_queue q ON q.claim_key = c.claim_key
  WHERE q.status <> 'revoked'
    AND (q.block_hash, q.block_number, q.block_time) IS DISTINCT FROM
        (c.block_hash, c.block_number, c.block_time)
), live AS (
  SELECT * FROM claims c WHERE NOT EXISTS (SELECT 1 FROM moved WHERE moved.claim_key = c.claim_key)
), ledger AS ()SQL" + ledger_insert("'done'", "live") +
                              R"SQL(
    block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash,
    block_time = EXCLUDED.block_time,
    referrer_wallet = COALESCE(q.referrer_wallet, EXCLUDED.referrer_wallet),
    status = 'done', attempts = EXCLUDED.attempts, error_message = EXCLUDED.error_message,
    source = EXCLUDED.source, updated_at = now(), completed_at = now(), revoked_at = NULL
  WHERE q.status <> 'done'
), wallets AS (  -- one row per wallet: the aggregate of its claims in this call
  SELECT wallet_address, max(level) AS level, min(block_time) AS activated_at,
         (array_agg(referrer_wallet ORDER BY block_time, claim_key)
            FILTER (WHERE referrer_wallet IS NOT NULL))[1] AS referrer_wallet
  FROM live GROUP BY wallet_address
), new_users AS (
  INSERT INTO users AS u (wallet_address, referrer_wallet)
  SELECT wallet_address, referrer_wallet FROM wallets
  ON CONFLICT (wallet_address) DO UPDATE SET referrer_wallet = EXCLUDED.referrer_wallet
  WHERE u.referrer_wallet IS NULL AND EXCLUDED.referrer_wallet IS NOT NULL
), new_members AS (
  INSERT INTO members AS m (wallet_address, current_level, activated_at, referrer_wallet)
  SELECT wallet_address, level, activated_at, referrer_wallet FROM wallets
  ON CONFLICT (wallet_address) DO UPDATE SET
    current_level = GREATEST(m.current_level, EXCLUDED.current_level),
    activated_at = LEAST(m.activated_at, EXCLUDED.activated_at),
    referrer_wallet = COALESCE(m.referrer_wallet, EXCLUDED.referrer_wallet),
    updated_at = now()
  WHERE (m.current_level, m.activated_at, m.referrer_wallet) IS DISTINCT FROM
        (GREATEST(m.current_level, EXCLUDED.current_level),
         LEAST(m.activated_at, EXCLUDED.activated_at),
         COALESCE(m.referrer_wallet, EXCLUDED.referrer_wallet))
), new_membership AS (
  INSERT INTO membership AS ms (wallet_address, nft_level, activated_at, claim_key, tx_hash)
  SELECT DISTINCT ON (wallet_address, level) wallet_address, level, block_time, claim_key, tx_hash
  FROM live ORDER BY wallet_address, level, block_time, claim_key
  ON CONFLICT (wallet_address, nft_level) DO UPDATE SET
    activated_at = EXCLUDED.activated_at, claim_key = EXCLUDED.claim_key, tx_hash = EXCLUDED.tx_hash
  WHERE ms.claim_key IS NOT NULL
    AND (EXCLUDED.activated_at, EXCLUDED.claim_key) < (ms.activated_at, ms.claim_key)
)
SELECT claim_key FROM moved)SQL";

const std::string kRevokeLedgerSql = std::string(kInput) + ledger_insert("'revoked'") + R"SQL(
    status = 'revoked', updated_at = now(), revoked_at = now()
  WHERE q.status <> 'revoked')SQL";

// Membership rows created by a revoked claim ($1 = keys) go to the earliest remaining
// 'done' claim of the same wallet and level (the apply rule, replayed without it) ...
constexpr const char* kRevokeReassignSql = R"SQL(
UPDATE membership ms
SET activated_at = s.block_time, claim_key = s.claim_key, tx_hash = s.tx_hash
FROM (SELECT DISTINCT ON (q.wallet_address, q.level)
             q.wallet_address, q.level, q.block_time, q.claim_key, q.tx_hash
      FROM claim_sync_queue q
      JOIN membership m2 ON m2.wallet_address = q.wallet_address AND m2.nft_level = q.level
      WHERE q.status = 'done' AND m2.claim_key = ANY ($1::text[])
      ORDER BY q.wallet_address, q.level, q.block_time, q.claim_key) s
WHERE ms.wallet_address = s.wallet_address AND ms.nft_level = s.level
  AND ms.claim_key = ANY ($1::text[])
RETURNING ms.wallet_address)SQL";

// ... and the rows still pointing at a revoked claim had no other claim: deleted.
constexpr const char* kRevokeDeleteSql =
    "DELETE FROM membership WHERE claim_key = ANY ($1::text[]) RETURNING wallet_address";

// members of the wallets whose membership rows changed ($1) follow their remaining rows:
// current_level = max(nft_level), activated_at = min(activated_at) (kept if every remaining
// row lacks one); a wallet left without membership rows loses its members row (it is no
// longer a member: the origin's views read "a members row exists" as one). users stays.
// Wallets whose membership rows did not change are not touched (a revoke of a claim that
// never reached the sink changes nothing but its ledger row).
constexpr const char* kRevokeMembersSql = R"SQL(
WITH w AS (SELECT DISTINCT unnest($1::text[]) AS wallet_address
), r AS (
  SELECT ms.wallet_address, max(ms.nft_level) AS current_level,
         min(ms.activated_at) AS activated_at
  FROM membership ms JOIN w ON ms.wallet_address = w.wallet_address
  GROUP BY ms.wallet_address
), gone AS (
  DELETE FROM members m USING w
  WHERE m.wallet_address = w.wallet_address
    AND NOT EXISTS (SELECT 1 FROM r WHERE r.wallet_address = w.wallet_address)
)
UPDATE members m
SET current_level = r.current_level, activated_at = COALESCE(r.activated_at, m.activated_at),
    updated_at = now()
FROM r
WHERE m.wallet_address = r.wallet_address
  AND (m.current_level, m.activated_at) IS DISTINCT FROM
      (r.current_level, COALESCE(r.activated_at, m.activated_at)))SQL";

// Ledger-only mirror of non-terminal states; never overwrites what apply()/revoke() wrote
// ('done' may only become 'revoking').
const std::string kRecordSql = std::string(kInput) + ledger_insert("status") + R"SQL(
    status = EXCLUDED.status, attempts = EXCLUDED.attempts,
    error_message = EXCLUDED.error_message, source = EXCLUDED.source, updated_at = now()
  WHERE (q.status IN ('pending', 'retrying', 'dead', 'orphaned', 'revoking')
         OR (q.status = 'done' AND EXCLUDED.status = 'revoking'))
    AND (q.status, q.attempts, q.error_message, q.source) IS DISTINCT FROM
        (EXCLUDED.status, EXCLUDED.attempts, EXCLUDED.error_message, EXCLUDED.source))SQL";

constexpr const char* kApply = "claimsync_apply";
constexpr const char* kRevokeLedger = "claimsync_revoke_ledger";
constexpr const char* kRecord = "claimsync_record";

// The 16 parameters of kInput.
template <typename Range>
std::vector<PgParam> claim_params(const Range& claims) {
  PgArrayBuilder key, chain, tx, log, batch, wallet, level, amount, block, block_hash, block_time,
      referrer, status, attempts, error_message, source;
  for (const Claim& c : claims) {
    const ClaimRow r = ClaimRow::from(c);
    key.add(r.claim_key);
    chain.add(std::to_string(r.chain_id));
    tx.add(r.tx_hash);
    log.add(std::to_string(r.log_index));
    batch.add(std::to_string(r.batch_index));
    wallet.add(r.wallet);
    level.add(std::to_string(r.level));
    amount.add(r.amount);
    block.add(std::to_string(r.block_number));
    block_hash.add(r.block_hash);
    block_time.add(std::to_string(r.block_time));
    referrer.add_optional(r.referrer);
    status.add(r.status);
    attempts.add(std::to_string(r.attempts));
    error_message.add_optional(r.error);
    source.add(r.source);
  }
  return {key.finish(),        chain.finish(),      tx.finish(),
          log.finish(),        batch.finish(),      wallet.finish(),
          level.finish(),      amount.finish(),     block.finish(),
          block_hash.finish(), block_time.finish(), referrer.finish(),
          status.finish(),     attempts.finish(),   error_message.finish(),
          source.finish()};
}

}  // namespace

Result<std::unique_ptr<PostgresSink>> PostgresSink::open(const std::string& url,
                                                         PgCallOptions options) {
  auto conn = PgConnection::connect(url, options);
  if (!conn.ok()) return conn.status();
  return std::make_unique<PostgresSink>(std::move(conn).value(), options);
}

// Our defaults apply unless the session (URL options), the role or the database chose.
constexpr const char* kSessionTimeoutsSql = R"SQL(
SELECT set_config(name, CASE name WHEN 'statement_timeout' THEN $1
                                  WHEN 'lock_timeout' THEN $2 ELSE $3 END, false)
FROM pg_settings
WHERE name IN ('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout')
  AND source NOT IN ('client', 'user', 'database', 'database user'))SQL";

Status PostgresSink::set_session_timeouts() {
  const std::int64_t call = std::max<std::int64_t>(options_.call_timeout_ms, 3);
  const std::int64_t statement = call * 2 / 3;
  const std::int64_t lock = std::min<std::int64_t>(5'000, statement);
  const std::int64_t idle = std::max<std::int64_t>(10'000, 2 * call);
  return conn_
      .exec_params(kSessionTimeoutsSql,
                   {std::to_string(statement), std::to_string(lock), std::to_string(idle)})
      .status();
}

Status PostgresSink::ensure_ready() {
  if (!conn_.healthy()) {
    prepared_ = false;
    CLAIMSYNC_RETURN_IF_ERROR(conn_.reset());
  }
  if (prepared_) return {};
  CLAIMSYNC_RETURN_IF_ERROR(set_session_timeouts());
  CLAIMSYNC_RETURN_IF_ERROR(conn_.prepare(kApply, kApplySql));
  CLAIMSYNC_RETURN_IF_ERROR(conn_.prepare(kRevokeLedger, kRevokeLedgerSql));
  CLAIMSYNC_RETURN_IF_ERROR(conn_.prepare(kRecord, kRecordSql));
  prepared_ = true;
  return {};
}

Status PostgresSink::ping() {
  CLAIMSYNC_RETURN_IF_ERROR(ensure_ready());
  return conn_.exec("SELECT 1").status();
}

Status PostgresSink::in_transaction(const std::function<Status()>& body) {
  CLAIMSYNC_RETURN_IF_ERROR(conn_.exec("BEGIN").status());
  in_transaction_ = true;
  Status st = body();
  in_transaction_ = false;
  if (!st.ok()) {
    (void)conn_.exec("ROLLBACK");
    return st;
  }
  return conn_.exec("COMMIT").status();
}

SinkResult PostgresSink::run_isolated(const std::vector<Claim>& claims, const Step& step,
                                      bool atomic_step) {
  SinkResult result;
  if (claims.empty()) return result;
  if (Status st = ensure_ready(); !st.ok()) return {st, {}};
  const std::span<const Claim> all(claims);
  Status st = atomic_step ? step(all) : in_transaction([&] { return step(all); });
  if (st.code() != ErrorCode::kInvalidArgument) {
    result.status = st;  // OK, or a whole-call failure: nothing committed
    return result;
  }
  // A claim is to blame: redo claim by claim so only the culprits are left out.
  log_warn("sink_isolating_claims", {{"claims", claims.size()}, {"error", st.message()}});
  result.status = in_transaction([&]() -> Status {
    for (std::size_t i = 0; i < claims.size(); ++i) {
      CLAIMSYNC_RETURN_IF_ERROR(conn_.exec("SAVEPOINT claim").status());
      Status one = step(all.subspan(i, 1));
      if (one.code() == ErrorCode::kInvalidArgument) {
        CLAIMSYNC_RETURN_IF_ERROR(conn_.exec("ROLLBACK TO SAVEPOINT claim").status());
        result.rejected.push_back({claims[i].key, one.message()});
      } else if (!one.ok()) {
        return one;
      }
      CLAIMSYNC_RETURN_IF_ERROR(conn_.exec("RELEASE SAVEPOINT claim").status());
    }
    return {};
  });
  if (!result.status.ok()) result.rejected.clear();  // nothing committed
  return result;
}

Status PostgresSink::apply_step(std::span<const Claim> claims) {
  auto moved_keys = conn_.exec_prepared(kApply, claim_params(claims));
  if (!moved_keys.ok()) return moved_keys.status();
  if (moved_keys->rows() == 0) return {};
  // Claims in another block than the sink has them: revoke what the old block created,
  // then apply them afresh (the ledger row is 'revoked' in between, so they are not
  // "moved" again). Inside the caller's transaction if there is one, else in our own: the
  // rest of the call is committed already, which a replay of the call makes whole.
  std::set<std::string> keys;
  for (int i = 0; i < moved_keys->rows(); ++i) keys.emplace(moved_keys->value(i, 0));
  std::vector<Claim> moved;
  for (const Claim& c : claims) {
    if (keys.erase(c.key.to_string()) > 0) moved.push_back(c);
  }
  log_info("sink_claims_moved", {{"claims", moved.size()}});
  const auto again = [&]() -> Status {
    CLAIMSYNC_RETURN_IF_ERROR(revoke_step(moved));
    return conn_.exec_prepared(kApply, claim_params(moved)).status();
  };
  return in_transaction_ ? again() : in_transaction(again);
}

Status PostgresSink::revoke_step(std::span<const Claim> claims) {
  PgArrayBuilder keys;
  for (const Claim& c : claims) keys.add(c.key.to_string());
  const std::vector<PgParam> key_param{keys.finish()};
  CLAIMSYNC_RETURN_IF_ERROR(conn_.exec_prepared(kRevokeLedger, claim_params(claims)).status());
  // The wallets whose membership rows changed (returned by both statements).
  std::set<std::string> touched;
  for (const char* sql : {kRevokeReassignSql, kRevokeDeleteSql}) {
    auto changed = conn_.exec_params(sql, key_param);
    if (!changed.ok()) return changed.status();
    for (int i = 0; i < changed->rows(); ++i) touched.emplace(changed->value(i, 0));
  }
  if (touched.empty()) return {};
  PgArrayBuilder wallets;
  for (const std::string& w : touched) wallets.add(w);
  return conn_.exec_params(kRevokeMembersSql, {wallets.finish()}).status();
}

SinkResult PostgresSink::apply(const std::vector<Claim>& claims) {
  return run_isolated(
      claims, [this](std::span<const Claim> c) { return apply_step(c); },
      /*atomic_step=*/true);
}

SinkResult PostgresSink::revoke(const std::vector<Claim>& claims) {
  return run_isolated(
      claims, [this](std::span<const Claim> c) { return revoke_step(c); },
      /*atomic_step=*/false);
}

Status PostgresSink::record(const std::vector<LedgerUpdate>& updates) {
  std::vector<Claim> mirrored;
  for (const auto& u : updates) {
    // done / revoked are written by apply() / revoke() together with the membership rows.
    if (u.claim.state == ClaimState::kDone || u.claim.state == ClaimState::kRevoked) continue;
    mirrored.push_back(u.claim);
  }
  if (mirrored.empty()) return {};
  CLAIMSYNC_RETURN_IF_ERROR(ensure_ready());
  return conn_.exec_prepared(kRecord, claim_params(mirrored)).status();
}

}  // namespace claimsync::store

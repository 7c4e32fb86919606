#include "storage/postgres_sink.hpp"

#include <algorithm>
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

// INSERT of the ledger rows with status `status_sql` (a column or a literal); the caller
// appends its ON CONFLICT action.
std::string ledger_insert(const std::string& status_sql) {
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
FROM claims
ON CONFLICT (claim_key) DO UPDATE SET )SQL";
}

const std::string kApplySql =
    std::string(kInput) + ", ledger AS (" + ledger_insert("'done'") + R"SQL(
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
  FROM claims GROUP BY wallet_address
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
  FROM claims ORDER BY wallet_address, level, block_time, claim_key
  ON CONFLICT (wallet_address, nft_level) DO UPDATE SET
    activated_at = EXCLUDED.activated_at, claim_key = EXCLUDED.claim_key, tx_hash = EXCLUDED.tx_hash
  WHERE ms.claim_key IS NOT NULL
    AND (EXCLUDED.activated_at, EXCLUDED.claim_key) < (ms.activated_at, ms.claim_key)
)
SELECT count(*) FROM claims)SQL";

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
  AND ms.claim_key = ANY ($1::text[]))SQL";

// ... and the rows still pointing at a revoked claim had no other claim: deleted.
constexpr const char* kRevokeDeleteSql =
    "DELETE FROM membership WHERE claim_key = ANY ($1::text[])";

// members of the touched wallets ($1) follow their remaining membership rows.
constexpr const char* kRevokeMembersSql = R"SQL(
UPDATE members m
SET current_level = r.current_level, activated_at = r.activated_at, updated_at = now()
FROM (SELECT w.wallet_address, COALESCE(max(ms.nft_level), 0) AS current_level,
             min(ms.activated_at) AS activated_at
      FROM (SELECT DISTINCT unnest($1::text[]) AS wallet_address) w
      LEFT JOIN membership ms ON ms.wallet_address = w.wallet_address
      GROUP BY w.wallet_address) r
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
  Status st = body();
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
  return conn_.exec_prepared(kApply, claim_params(claims)).status();
}

Status PostgresSink::revoke_step(std::span<const Claim> claims) {
  PgArrayBuilder keys, wallets;
  for (const Claim& c : claims) {
    keys.add(c.key.to_string());
    wallets.add(c.wallet.lower_hex());
  }
  const std::vector<PgParam> key_param{keys.finish()};
  CLAIMSYNC_RETURN_IF_ERROR(conn_.exec_prepared(kRevokeLedger, claim_params(claims)).status());
  CLAIMSYNC_RETURN_IF_ERROR(conn_.exec_params(kRevokeReassignSql, key_param).status());
  CLAIMSYNC_RETURN_IF_ERROR(conn_.exec_params(kRevokeDeleteSql, key_param).status());
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

#include "storage/postgres_sink.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <string>

#include "rpc/logging.hpp"
#include "storage/claim_row.hpp"
#include "storage/sink_lease.hpp"

namespace claimsync::store {
namespace {

// The columns of one claim, in the order of the 16 array parameters and of the stage.
constexpr const char* kClaimColumns = R"SQL(claim_key text, chain_id bigint, tx_hash text,
  log_index int, batch_index int, wallet_address text, level int, amount text,
  block_number bigint, block_hash text, block_seconds bigint, referrer_wallet text,
  status text, attempts int, error_message text, source text)SQL";

// `input` (one row per claim, kClaimColumns) as the CTEs `input` and `claims`: one row per
// claim key, since a call may repeat a claim.
std::string with_claims(const std::string& input) {
  return "WITH input AS (" + input + R"SQL(
), claims AS (
  SELECT DISTINCT ON (claim_key) *, to_timestamp(block_seconds) AS block_time
  FROM input ORDER BY claim_key
))SQL";
}

// The claims of a call as 16 array parameters, one row per claim.
const std::string kInput = with_claims(R"SQL(
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::int[], $5::int[], $6::text[],
                       $7::int[], $8::text[], $9::bigint[], $10::text[], $11::bigint[],
                       $12::text[], $13::text[], $14::int[], $15::text[], $16::text[])
    AS t(claim_key, chain_id, tx_hash, log_index, batch_index, wallet_address, level, amount,
         block_number, block_hash, block_seconds, referrer_wallet, status, attempts,
         error_message, source))SQL");

// The claims of a call COPYed into the session's stage table. The merge deletes what it
// reads, so the stage is empty between statements (a failed call's rows are rolled back).
// Not ON COMMIT DELETE ROWS: truncating at every commit costs a file truncation (~4-8 ms
// on a busy disk) per call; the dead rows are truncated away every kStageTruncateBytes
// of staged data instead, before they outgrow temp_buffers (8 MB by default).
constexpr const char* kStage = "pg_temp.claimsync_stage";
const std::string kStageSql =
    std::string("CREATE TEMP TABLE IF NOT EXISTS ") + kStage + " (" + kClaimColumns + ")";
const std::string kStagedInput = with_claims(std::string("DELETE FROM ") + kStage + " RETURNING *");

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
// The LATERAL ... LIMIT 1 makes it one primary-key probe per claim whatever the planner
// guesses of the batch and the ledger (the staged statement has one generic plan, made
// when the stage is empty; a hash join would read the whole ledger per call).
const std::string kMergeSql = R"SQL(, moved AS (
  SELECT c.claim_key FROM claims c CROSS JOIN LATERAL (
    SELECT 1 FROM claim_sync_queue q
    WHERE q.claim_key = c.claim_key AND q.status <> 'revoked'
      AND (q.block_hash, q.block_number, q.block_time) IS DISTINCT FROM
          (c.block_hash, c.block_number, c.block_time)
    LIMIT 1) q
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
), new_users AS (  -- DO NOTHING: an existing user is neither locked nor rewritten
  INSERT INTO users (wallet_address)
  SELECT wallet_address FROM wallets WHERE referrer_wallet IS NULL
  ON CONFLICT (wallet_address) DO NOTHING
), referred_users AS (
  INSERT INTO users AS u (wallet_address, referrer_wallet)
  SELECT wallet_address, referrer_wallet FROM wallets WHERE referrer_wallet IS NOT NULL
  ON CONFLICT (wallet_address) DO UPDATE SET referrer_wallet = EXCLUDED.referrer_wallet
  WHERE u.referrer_wallet IS NULL
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

const std::string kApplySql = kInput + kMergeSql;
const std::string kApplyStagedSql = kStagedInput + kMergeSql;

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
constexpr const char* kApplyStaged = "claimsync_apply_staged";
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

// COPY's text format: backslash, newline, carriage return and tab escaped; the rest is
// literal.
void append_copy_text(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
}

void append_copy_optional(std::string& out, const std::optional<std::string>& v) {
  if (v)
    append_copy_text(out, *v);
  else
    out += "\\N";
}

// One COPY text row: fields separated by tabs, ended by a newline.
class CopyRow {
 public:
  explicit CopyRow(std::string& out) : out_(out) {}
  ~CopyRow() { out_ += '\n'; }
  CopyRow& text(std::string_view v) {
    append_copy_text(next(), v);
    return *this;
  }
  CopyRow& nullable(const std::optional<std::string>& v) {
    append_copy_optional(next(), v);
    return *this;
  }
  CopyRow& number(std::uint64_t v) {
    next() += std::to_string(v);
    return *this;
  }

 private:
  std::string& next() {
    if (!first_) out_ += '\t';
    first_ = false;
    return out_;
  }
  std::string& out_;
  bool first_ = true;
};

// The claims as COPY text rows of the stage (kClaimColumns), one line per claim.
std::string stage_rows(std::span<const Claim> claims) {
  std::string out;
  out.reserve(claims.size() * 400);
  for (const Claim& c : claims) {
    const ClaimRow r = ClaimRow::from(c);
    CopyRow(out)
        .text(r.claim_key)
        .number(r.chain_id)
        .text(r.tx_hash)
        .number(r.log_index)
        .number(r.batch_index)
        .text(r.wallet)
        .number(r.level)
        .text(r.amount)
        .number(r.block_number)
        .text(r.block_hash)
        .number(r.block_time)
        .nullable(r.referrer)
        .text(r.status)
        .number(r.attempts)
        .nullable(r.error)
        .text(r.source);
  }
  return out;
}

const std::string kCopyAndApplySql =
    std::string("COPY ") + kStage + " FROM STDIN; EXECUTE " + kApplyStaged;
const std::string kTruncateCopyAndApplySql =
    std::string("TRUNCATE ") + kStage + "; " + kCopyAndApplySql;
constexpr std::size_t kStageTruncateBytes = 2 << 20;

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
  // Fenced (active/standby): a write transaction holds a share lock on the lease row, and a
  // takeover waits for it; a client that vanished mid-transaction must not hold the
  // successor up for long. Our client never idles inside a transaction beyond a round trip.
  const std::int64_t idle = fence_ != nullptr ? std::max<std::int64_t>(1'000, call)
                                              : std::max<std::int64_t>(10'000, 2 * call);
  return conn_
      .exec_params(kSessionTimeoutsSql,
                   {std::to_string(statement), std::to_string(lock), std::to_string(idle)})
      .status();
}

Status PostgresSink::ensure_ready() {
  if (!conn_.healthy()) {
    prepared_ = false;
    staged_bytes_ = 0;  // a new session, a new stage
    CLAIMSYNC_RETURN_IF_ERROR(conn_.reset());
  }
  if (prepared_) return {};
  CLAIMSYNC_RETURN_IF_ERROR(set_session_timeouts());
  // A session where an earlier attempt got half-way (a statement failed to prepare) starts
  // over.
  CLAIMSYNC_RETURN_IF_ERROR(conn_.exec("DEALLOCATE ALL; " + kStageSql).status());
  CLAIMSYNC_RETURN_IF_ERROR(conn_.prepare(kApply, kApplySql));
  CLAIMSYNC_RETURN_IF_ERROR(conn_.prepare(kApplyStaged, kApplyStagedSql));
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

Status PostgresSink::check_fence() {
  if (fence_ == nullptr) return {};
  const std::optional<FenceToken> held = fence_->current();
  const auto lost = [](const std::string& why) {
    return error(ErrorCode::kFailedPrecondition,
                 "lease lost: " + why +
                     "; this node stands by while the active node of the pair replicates");
  };
  if (!held) return lost("this node does not hold the lease");
  auto row = conn_.exec_params(kLeaseFenceSql,
                               {held->lease_key, held->holder, std::to_string(held->token)});
  if (!row.ok()) return row.status();
  if (row->rows() != 1)
    return lost("the lease row no longer names token " + std::to_string(held->token) + " of " +
                held->holder);
  return {};
}

SinkResult PostgresSink::run_isolated(const std::vector<Claim>& claims, const Step& step,
                                      bool atomic_step) {
  SinkResult result;
  if (claims.empty()) return result;
  if (Status st = ensure_ready(); !st.ok()) return {st, {}};
  const std::span<const Claim> all(claims);
  const auto fenced_step = [&]() -> Status {
    CLAIMSYNC_RETURN_IF_ERROR(check_fence());
    return step(all);
  };
  // A fenced call always runs in a transaction: the lease check and the writes commit
  // together, or not at all.
  Status st = atomic_step && fence_ == nullptr ? step(all) : in_transaction(fenced_step);
  if (st.code() != ErrorCode::kInvalidArgument) {
    result.status = st;  // OK, or a whole-call failure: nothing committed
    return result;
  }
  // A claim is to blame: redo claim by claim so only the culprits are left out.
  log_warn("sink_isolating_claims", {{"claims", claims.size()}, {"error", st.message()}});
  result.status = in_transaction([&]() -> Status {
    CLAIMSYNC_RETURN_IF_ERROR(check_fence());
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

Result<PgResult> PostgresSink::merge(std::span<const Claim> claims) {
  if (claims.size() < stage_min_claims_) return conn_.exec_prepared(kApply, claim_params(claims));
  const std::string rows = stage_rows(claims);
  staged_bytes_ += rows.size();
  const bool truncate = staged_bytes_ >= kStageTruncateBytes;
  auto r = conn_.exec_copy(truncate ? kTruncateCopyAndApplySql : kCopyAndApplySql, rows);
  if (truncate && r.ok()) staged_bytes_ = rows.size();
  return r;
}

Status PostgresSink::apply_step(std::span<const Claim> claims) {
  auto moved_keys = merge(claims);
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
    return merge(moved).status();
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
  if (fence_ == nullptr) return conn_.exec_prepared(kRecord, claim_params(mirrored)).status();
  return in_transaction([&]() -> Status {
    CLAIMSYNC_RETURN_IF_ERROR(check_fence());
    return conn_.exec_prepared(kRecord, claim_params(mirrored)).status();
  });
}

}  // namespace claimsync::store
